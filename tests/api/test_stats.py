"""``$stats``: counts per country or origin node in one request, as search would count them."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from registry.services.federation.mirror import mirror_id, source
from registry.services.federation.readonly import SYNC_CALLER
from tests import factories as f
from tests.conftest import TEST_BASE, Fhir, make_token, system_service

PEER = "http://hub-br.test/fhir"
PUBLISHED = {"tag": [{"system": "https://telementoring.example.org/fhir/CodeSystem/network",
                      "code": "published"}]}
TYPES = ("Organization", "Location", "HealthcareService")


def _published(resource: dict[str, Any]) -> dict[str, Any]:
    return {**resource, "meta": PUBLISHED}


@pytest.fixture
def network(app: Flask, fhir: Fhir) -> dict[str, str]:
    """Hubs in Peru (published) and Spain (not), spokes, sites, programs, and mirrors of a
    Brazilian hub's records pulled from a peer."""
    pe = "Organization/" + fhir.create(_published(f.hub("Hub Andino", "PE")))["id"]
    es = "Organization/" + fhir.create(f.hub("Hub Ibérico", "ES", ident="HUB-ES"))["id"]
    for name in ("cusco", "lima"):
        spoke = "Organization/" + fhir.create(
            _published(f.spoke(f"Posta {name}", pe, ident=f"SPK-{name}")))["id"]
        fhir.create(_published(f.site(name, spoke, -13.5, -72.0)))
    spoke_es = "Organization/" + fhir.create(f.spoke("Centro Madrid", es, "ES",
                                                     ident="SPK-ES"))["id"]
    fhir.create(f.site("madrid", spoke_es, 40.4, -3.7, country="ES"))
    fhir.create(_published(f.program("TUS", pe)))
    fhir.create(f.program("TUS España", es, country="ES"))
    hub, spoke = (f"Organization/{mirror_id(PEER, name)}" for name in ("hub", "spoke"))
    mirrors = (("Organization", "hub", f.hub("Hub Amazônia", "BR", ident="HUB-BR")),
               ("Organization", "spoke", f.spoke("Posto Manaus", hub, "BR", ident="SPK-BR")),
               ("Location", "site", f.site("manaus", spoke, -3.1, -60.0, country="BR")),
               ("HealthcareService", "prog", f.program("HIV", hub, "hiv-art", ("pt",),
                                                       country="BR")))
    with system_service(app, name=SYNC_CALLER) as service:  # as the sync writes a mirror
        for res_type, remote_id, body in mirrors:
            local = mirror_id(PEER, remote_id)
            service.update(res_type, local, {**body, "id": local, "meta": {
                **PUBLISHED, "source": source(PEER, "7")}})
    return {"pe": pe, "es": es}


def _groups(answer: dict[str, Any]) -> dict[str | None, int]:
    assert answer["resourceType"] == "Parameters"
    found: dict[str | None, int] = {}
    for group in answer["parameter"][1:]:
        parts = {p["name"]: p for p in group["part"]}
        value = parts.get("value")
        found[None if value is None else value.get("valueString", value.get("valueUri"))] = \
            parts["count"]["valueInteger"]
    return found


def _total(answer: dict[str, Any]) -> int:
    first = answer["parameter"][0]
    assert first["name"] == "total"
    return int(first["valueInteger"])


def _count(client: Fhir, query: str) -> int:
    return int(client.search(f"{query}&_summary=count")["total"])


def _check_against_search(client: Fhir, res_type: str, extra: str = "") -> dict[str, int]:
    """Every count of ``$stats`` equals ``_summary=count`` of the search for that value."""
    by_country = _groups(client.get(f"$stats?type={res_type}&by=country{extra}").json)
    for country, count in by_country.items():
        assert country is not None
        assert count == _count(client, f"{res_type}?country={country}{extra}"), country
    by_origin = _groups(client.get(f"$stats?type={res_type}&by=origin{extra}").json)
    for origin, count in by_origin.items():
        assert origin is not None
        query = "_source:missing=true" if origin == TEST_BASE else f"_source:below={origin}"
        assert count == _count(client, f"{res_type}?{query}{extra}"), origin
    total = _total(client.get(f"$stats?type={res_type}{extra}").json)
    assert total == _count(client, f"{res_type}?{extra.lstrip('&')}")
    assert sum(by_origin.values()) == total
    return {**{f"country:{k}": v for k, v in by_country.items()},
            **{f"origin:{k}": v for k, v in by_origin.items()}}


@pytest.mark.parametrize("res_type", TYPES)
def test_counts_per_value_equal_summary_count(fhir: Fhir, network, res_type: str) -> None:
    counts = _check_against_search(fhir, res_type)
    mirrored = 2 if res_type == "Organization" else 1
    assert counts[f"origin:{PEER}"] == mirrored  # a mirror counts under its origin
    assert counts["country:BR"] == mirrored
    assert counts[f"origin:{TEST_BASE}"] == counts["country:PE"] + counts["country:ES"]


def test_counts_per_country_of_hubs_and_spokes(fhir: Fhir, network) -> None:
    hubs = _groups(fhir.get("$stats?type=Organization&by=country&type=hub").json)
    assert hubs == {"BR": 1, "ES": 1, "PE": 1}
    spokes = _groups(fhir.get("$stats?type=Organization&by=country&type=spoke").json)
    assert spokes == {"BR": 1, "ES": 1, "PE": 2}
    _check_against_search(fhir, "Organization", "&type=spoke")


@pytest.mark.parametrize(("role", "restricted"), [
    ("global-viewer", TYPES),  # the published directory only
    ("peer", TYPES),
    ("hub-admin", ())])  # the whole directory
def test_a_role_sees_the_counts_of_what_its_search_finds(app: Flask, fhir: Fhir, network,
                                                         role: str, restricted) -> None:
    binding = network["pe"] if role == "hub-admin" else None
    client = Fhir(app.test_client(), make_token(app, role, binding=binding))
    for res_type in TYPES:
        seen = _check_against_search(client, res_type)
        everything = _check_against_search(fhir, res_type)
        assert (seen.get("country:ES", 0) < everything["country:ES"]) == \
            (res_type in restricted), res_type


@pytest.mark.parametrize("query", [
    "$stats", "$stats?type=Patient", "$stats?type=PractitionerRole",
    "$stats?type=Organization&by=name",
    "$stats?type=Organization&by=country&by=origin", "$stats?type=Organization&nonsense=1",
    "$stats?type=Location&near=bad"])
def test_bad_input_is_a_400_operation_outcome(fhir: Fhir, network, query: str) -> None:
    answer = fhir.get(query)
    assert answer.status_code == 400, answer.json
    assert answer.json["resourceType"] == "OperationOutcome"


def test_declared_in_the_capability_statement(fhir: Fhir) -> None:
    operations = fhir.get("metadata").json["rest"][0]["operation"]
    assert "stats" in {o["name"] for o in operations}
