"""Bulk Data export: only what the caller's role may export, through the async pattern."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry.storage.database import Engine
from tests.conftest import Fhir, join, joined
from tests.security.conftest import Network, network_app
from tests.security.network import load_network

ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}


@pytest.fixture
def exporting(database_url: str, engine: Engine, tmp_path: Path) -> Iterator[Network]:
    with joined(engine) as conn:
        app = join(network_app(database_url, export_dir=str(tmp_path / "exports")), engine,
                   conn)
        yield Network(app, load_network(app))


def run(client: Fhir, query: str = "$export") -> dict:
    kickoff = client.get(query, headers=ASYNC)
    assert kickoff.status_code == 202, kickoff.get_data(as_text=True)
    status_url = kickoff.headers["Content-Location"]
    assert status_url.startswith("http://registry.test/fhir/$export-status/")
    status = client.get(status_url.replace("http://registry.test/fhir/", ""))
    assert status.status_code == 200
    return json.loads(status.get_data())


def lines(client: Fhir, url: str) -> list[dict]:
    response = client.get(url.replace("http://registry.test/fhir/", ""),
                          headers={"Accept": "application/fhir+ndjson"})
    try:
        assert response.status_code == 200
        assert response.mimetype == "application/fhir+ndjson"
        return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    finally:
        response.close()  # the file is streamed from disk


def exported_ids(client: Fhir, manifest: dict) -> set[str]:
    return {f"{r['resourceType']}/{r['id']}" for item in manifest["output"]
            for r in lines(client, item["url"])}


def test_national_program_exports_only_its_countrys_directory(exporting: Network) -> None:
    national = exporting.client("national-program")  # bound to PE
    manifest = run(national)
    assert manifest["requiresAccessToken"] is True and manifest["transactionTime"]
    found = exported_ids(national, manifest)
    assert {"Organization/hub-1", "Organization/spoke-1", "Location/loc-1"} <= found
    assert not {i for i in found if i.endswith("-2")}  # nothing of Brazil's side
    assert {i.split("/")[0] for i in found} <= {
        "Organization", "Location", "OrganizationAffiliation", "Practitioner",
        "PractitionerRole", "HealthcareService", "Endpoint"}


def test_network_admin_exports_everything_of_a_type(exporting: Network) -> None:
    manifest = run(exporting.admin, "$export?_type=Location")
    assert exported_ids(exporting.admin, manifest) == {"Location/loc-1", "Location/loc-2"}


@pytest.mark.parametrize("role", ["hub-admin", "spoke-clinician", "global-viewer", "peer"])
def test_other_roles_may_not_export(exporting: Network, role: str) -> None:
    assert exporting.client(role).get("$export", headers=ASYNC).status_code == 403


def test_national_program_may_not_export_case_data(exporting: Network) -> None:
    response = exporting.client("national-program").get("$export?_type=Composition",
                                                          headers=ASYNC)
    assert response.status_code == 403


def test_a_job_belongs_to_the_token_that_started_it(exporting: Network) -> None:
    manifest = run(exporting.admin, "$export?_type=Location")
    other = Fhir(exporting.app.test_client(), exporting.client_as("network-admin", "").token)
    url = manifest["output"][0]["url"].replace("http://registry.test/fhir/", "")
    refused = other.get(url)
    assert refused.status_code == 404
    job = url.split("/")[1]
    assert other.get(f"$export-status/{job}").status_code == 404
    assert exporting.admin.delete(f"$export-status/{job}").status_code == 202
    assert exporting.admin.get(f"$export-status/{job}").status_code == 404


def test_kickoff_errors(exporting: Network) -> None:
    admin = exporting.admin
    assert admin.get("$export").status_code == 400  # no Prefer: respond-async
    assert admin.get("$export?_type=Nope", headers=ASYNC).status_code == 400
    assert admin.get("$export?_outputFormat=text/csv", headers=ASYNC).status_code == 400
    assert admin.get("$export?_since=yesterday", headers=ASYNC).status_code == 400
    assert admin.get("$export-status/" + "0" * 32).status_code == 404
