"""Batch and transaction Bundles: atomicity, urn:uuid resolution, conditionals, ordering."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from registry.services.writes import persist
from registry.storage import resources
from registry.storage.tables import INDEX_TABLES, resource, resource_compartment, resource_version
from tests import factories
from tests.conftest import Fhir
from tests.statements import recorded_statements

HUB = factories.hub("Hub Andino", ident="HUB-1")


def entry(method: str, url: str, resource: dict | None = None, **extra: object) -> dict:
    item: dict = {"request": {"method": method, "url": url, **extra}}
    if resource is not None:
        item["resource"] = resource
    return item


def bundle(kind: str, *entries: dict) -> dict:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def count(fhir: Fhir, res_type: str) -> int:
    return int(fhir.search(f"{res_type}?_summary=count")["total"])


def register_spoke() -> dict:
    """A hub administrator registers a spoke: Organization + Location + affiliation."""
    spoke = {**entry("POST", "Organization", factories.spoke("Spoke", "urn:uuid:hub")),
             "fullUrl": "urn:uuid:spoke"}
    hub = {**entry("POST", "Organization", HUB,
                   ifNoneExist=f"identifier={factories.ORG_ID}|HUB-1"),
           "fullUrl": "urn:uuid:hub"}
    location = entry("POST", "Location", factories.site("Posta", "urn:uuid:spoke", -13.3, -72.1))
    affiliation = entry("POST", "OrganizationAffiliation",
                        factories.affiliation("urn:uuid:hub", "urn:uuid:spoke"))
    return bundle("transaction", spoke, hub, location, affiliation)


def test_transaction_resolves_urn_uuid_references(fhir: Fhir) -> None:
    response = fhir.post("", register_spoke())
    assert response.status_code == 200, response.get_data(as_text=True)
    result = response.json
    assert result["type"] == "transaction-response"
    assert [e["response"]["status"] for e in result["entry"]] == ["201 Created"] * 4
    spoke_id = result["entry"][0]["response"]["location"].split("/")[1]
    hub_id = result["entry"][1]["response"]["location"].split("/")[1]
    spoke = fhir.get(f"Organization/{spoke_id}").json
    assert spoke["partOf"]["reference"] == f"Organization/{hub_id}"
    assert fhir.ids(f"Location?organization={spoke_id}")


def test_transaction_conditional_create_reuses_existing(fhir: Fhir) -> None:
    existing = fhir.create(HUB)
    result = fhir.post("", register_spoke()).json
    assert result["entry"][1]["response"]["status"] == "200 OK"
    assert result["entry"][1]["response"]["location"].split("/")[1] == existing["id"]
    assert count(fhir, "Organization") == 2


def test_transaction_is_all_or_nothing(fhir: Fhir) -> None:
    broken = register_spoke()
    broken["entry"].append(entry("POST", "Location", {"resourceType": "Location",
                                                      "status": ["bad"]}))
    assert len(broken["entry"]) == 5
    response = fhir.post("", broken)
    assert response.status_code == 400
    issue = response.json["issue"][0]
    assert issue["expression"][0].startswith("Bundle.entry[4]")
    assert count(fhir, "Organization") == count(fhir, "Location") == 0


def test_transaction_unresolved_urn_is_400(fhir: Fhir) -> None:
    bad = bundle("transaction", entry("POST", "Location", {
        "resourceType": "Location", "managingOrganization": {"reference": "urn:uuid:none"}}))
    assert fhir.post("", bad).status_code == 400
    assert count(fhir, "Location") == 0


def test_transaction_conditional_reference(fhir: Fhir) -> None:
    hub = fhir.create(HUB)
    result = fhir.post("", bundle("transaction", entry("POST", "Endpoint", {
        "resourceType": "Endpoint", "status": "active", "address": "https://peer.example/fhir",
        "name": "Peer node",
        "connectionType": {"system": "http://terminology.hl7.org/CodeSystem/"
                           "endpoint-connection-type", "code": "hl7-fhir-rest"},
        "payloadType": [{"text": "any"}],
        "managingOrganization": {"reference": "Organization?identifier=HUB-1"}})))
    assert result.status_code == 200
    endpoint_id = result.json["entry"][0]["response"]["location"].split("/")[1]
    endpoint = fhir.get(f"Endpoint/{endpoint_id}").json
    assert endpoint["managingOrganization"]["reference"] == f"Organization/{hub['id']}"
    missing = fhir.post("", bundle("transaction", entry("POST", "Location", {
        "resourceType": "Location",
        "managingOrganization": {"reference": "Organization?identifier=NONE"}})))
    assert missing.status_code == 412


def test_transaction_update_delete_and_read(fhir: Fhir) -> None:
    a, b = fhir.create(HUB), fhir.create({**HUB, "name": "B"})
    result = fhir.post("", bundle(
        "transaction",
        entry("GET", f"Organization/{a['id']}"),
        entry("PUT", f"Organization/{a['id']}", {**HUB, "id": a["id"], "name": "A2"},
              ifMatch='W/"1"'),
        entry("DELETE", f"Organization/{b['id']}"),
        entry("GET", "Organization?name=a2"),
    ))
    assert result.status_code == 200, result.get_data(as_text=True)
    statuses = [e["response"]["status"] for e in result.json["entry"]]
    assert statuses == ["200 OK", "200 OK", "204 No Content", "200 OK"]
    assert result.json["entry"][0]["resource"]["name"] == "A2"  # reads run after writes
    assert result.json["entry"][3]["resource"]["total"] == 1
    assert fhir.get(f"Organization/{b['id']}").status_code == 410


def test_transaction_if_match_conflict_rolls_back(fhir: Fhir) -> None:
    a = fhir.create(HUB)
    response = fhir.post("", bundle(
        "transaction",
        entry("POST", "Location", {"resourceType": "Location", "name": "new"}),
        entry("PUT", f"Organization/{a['id']}", {**HUB, "id": a["id"]}, ifMatch='W/"5"')))
    assert response.status_code == 412
    assert count(fhir, "Location") == 0


def test_transaction_same_resource_twice_is_400(fhir: Fhir) -> None:
    response = fhir.post("", bundle(
        "transaction",
        entry("PUT", "Organization/x", {**HUB, "id": "x"}),
        entry("PUT", "Organization/x", {**HUB, "id": "x"})))
    assert response.status_code == 400


def test_batch_entries_fail_independently(fhir: Fhir) -> None:
    response = fhir.post("", bundle(
        "batch",
        entry("POST", "Organization", HUB),
        entry("POST", "Organization", {"resourceType": "Organization", "name": 7}),
        entry("GET", "Organization/missing")))
    assert response.status_code == 200
    result = response.json
    assert result["type"] == "batch-response"
    statuses = [e["response"]["status"] for e in result["entry"]]
    assert statuses == ["201 Created", "400", "404"]
    assert result["entry"][1]["response"]["outcome"]["resourceType"] == "OperationOutcome"
    assert count(fhir, "Organization") == 1


def test_bundle_type_and_shape_errors(fhir: Fhir) -> None:
    assert fhir.post("", {"resourceType": "Bundle", "type": "document"}).status_code == 400
    assert fhir.post("", {"resourceType": "Organization"}).status_code == 400
    no_url = {"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": HUB}]}
    assert fhir.post("", no_url).status_code == 400


def test_thousand_entry_transaction(fhir: Fhir) -> None:
    entries = [entry("POST", "Practitioner", {"resourceType": "Practitioner",
                                              "name": [{"family": f"Doe{i}"}]})
               for i in range(1000)]
    response = fhir.post("", bundle("transaction", *entries))
    assert response.status_code == 200
    assert count(fhir, "Practitioner") == 1000
    assert fhir.ids("Practitioner?family=doe999") != []


def test_transaction_conditional_update_keeps_reserved_characters(fhir: Fhir) -> None:
    """Entry criteria are used as parsed, not re-serialized: a '+' stays a '+'."""
    existing = fhir.create(factories.hub("Plus hub", ident="A+B"))
    entry_url = f"Organization?identifier={factories.ORG_ID}|A%2BB"
    result = fhir.post("", bundle("transaction", entry("PUT", entry_url, {
        **factories.hub("Plus hub renamed", ident="A+B")})))
    assert result.status_code == 200, result.get_data(as_text=True)
    assert result.json["entry"][0]["response"]["location"].split("/")[1] == existing["id"]
    assert count(fhir, "Organization") == 1


def test_a_large_transaction_writes_its_index_rows_in_slices_and_all_of_them(
        app: Flask, fhir: Fhir, monkeypatch: pytest.MonkeyPatch) -> None:
    """Index rows go out in INSERTs of at most ``INDEX_ROWS_PER_STATEMENT`` (so a 1,000-entry
    Bundle never holds all ~20,000 at once), and the slices add up to exactly the rows one
    INSERT per table writes."""
    def practitioners(prefix: str) -> dict:
        return bundle("transaction", *[
            entry("PUT", f"Practitioner/{prefix}-{i}",
                  {**factories.practitioner(f"{prefix}family{i:02d}"), "id": f"{prefix}-{i}"})
            for i in range(12)])

    engine = app.extensions["registry.database"]

    def string_inserts(executed: list[str]) -> int:
        return sum(statement.startswith("INSERT INTO idx_string") for statement in executed)

    def rows_of(prefix: str) -> dict[str, int]:
        with engine.transaction(write=False) as conn:
            pks = sa.select(resource.c.pk).where(resource.c.res_id.like(f"{prefix}-%"))
            return {kind: conn.execute(sa.select(sa.func.count()).select_from(table).where(
                        table.c.resource_pk.in_(pks))).scalar_one()
                    for kind, table in INDEX_TABLES.items()}

    with recorded_statements(engine) as executed:
        assert fhir.post("", practitioners("whole")).status_code == 200
    whole = string_inserts(executed)
    monkeypatch.setattr(resources, "INDEX_ROWS_PER_STATEMENT", 5)
    with recorded_statements(engine) as executed:
        assert fhir.post("", practitioners("slice")).status_code == 200
    assert whole == 1 and string_inserts(executed) > 2
    assert rows_of("slice") == rows_of("whole") and rows_of("slice")["string"] >= 24
    assert fhir.ids("Practitioner?family=slicefamily11") == ["slice-11"]


def test_a_large_transaction_persists_in_rounds_of_writes_and_all_of_them(
        app: Flask, fhir: Fhir, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes go out ``WRITES_PER_STATEMENT`` at a time (so a 1,000-entry Bundle never builds
    all its parameter rows at once): updates and creates mixed across the rounds store exactly
    the versions, index rows and compartments of one round."""
    def bundle_of(prefix: str, version: int) -> dict:
        return bundle("transaction", *[
            entry("PUT", f"Practitioner/{prefix}-{i}",
                  {**factories.practitioner(f"{prefix}family{i:02d}v{version}"),
                   "id": f"{prefix}-{i}"})
            for i in range(0, 12, version)])  # version 2 updates half of them and adds none

    rounds: list[int] = []
    write_rows = resources.write_rows

    def counted(conn: Any, writes: list) -> list[int]:
        rounds.append(len(writes))
        return write_rows(conn, writes)

    def rows_of(prefix: str) -> dict[str, int]:
        with app.extensions["registry.database"].transaction(write=False) as conn:
            pks = sa.select(resource.c.pk).where(resource.c.res_id.like(f"{prefix}-%"))
            tables = {"version": resource_version, "compartment": resource_compartment,
                      **INDEX_TABLES}
            return {name: conn.execute(sa.select(sa.func.count()).select_from(table).where(
                        table.c.resource_pk.in_(pks))).scalar_one()
                    for name, table in tables.items()}

    monkeypatch.setattr(resources, "write_rows", counted)
    for version in (1, 2):
        assert fhir.post("", bundle_of("whole", version)).status_code == 200
    whole, rounds[:] = list(rounds), []
    monkeypatch.setattr(persist, "WRITES_PER_STATEMENT", 5)
    for version in (1, 2):
        assert fhir.post("", bundle_of("round", version)).status_code == 200
    assert len(whole) == 2 and len(rounds) > 4 and max(rounds) == 5  # 12 and 6, with audit
    assert sum(rounds) == sum(whole)
    assert rows_of("round") == rows_of("whole")
    assert rows_of("round")["version"] == 18 and rows_of("round")["compartment"] == 12
    assert fhir.ids("Practitioner?family=roundfamily10v2") == ["round-10"]
    assert fhir.ids("Practitioner?family=roundfamily11v1") == ["round-11"]
