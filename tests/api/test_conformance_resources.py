"""Conformance resources from ``schemas/`` served as read-only, searchable resources."""

from __future__ import annotations

import pytest
from flask import Flask

from registry.services.audit import AuditTrail
from registry.services.caller import Caller
from registry.services.conformance import ConformanceReport, load_conformance, shipped
from registry.services.loading import is_empty
from registry.services.unit import unit_of_work
from tests.conftest import TEST_BASE, Fhir

BASE = "https://telementoring.example.org/fhir"
ROLE_VS = f"{BASE}/ValueSet/program-role"


def load(app: Flask) -> ConformanceReport:
    with app.app_context(), unit_of_work(app.extensions["registry.database"],
                                         app.extensions["registry.node"], Caller.node(),
                                         AuditTrail(), TEST_BASE, write=True) as service:
        return load_conformance(service)


@pytest.fixture
def loaded(app: Flask) -> ConformanceReport:
    return load(app)


def test_every_shipped_resource_is_stored_once(app: Flask, loaded: ConformanceReport) -> None:
    assert loaded.written == len(shipped()) and loaded.deleted == 0
    again = load(app)
    assert (again.written, again.unchanged, again.deleted) == (0, len(shipped()), 0)


def test_searchable_by_url_and_type(fhir: Fhir, loaded: ConformanceReport) -> None:
    (found,) = fhir.search(f"ValueSet?url={ROLE_VS}")["entry"]
    assert found["resource"]["url"] == ROLE_VS
    assert fhir.search(f"CodeSystem?url={BASE}/CodeSystem/discipline")["total"] == 1
    profiles = fhir.search("StructureDefinition?type=Organization&_summary=count")["total"]
    assert profiles >= 3
    (name,) = fhir.search("SearchParameter?base=Organization&code=name")["entry"]
    assert name["resource"]["id"] == "Organization-name"


def test_operations_unchanged(fhir: Fhir, loaded: ConformanceReport) -> None:
    stored = fhir.search(f"ValueSet?url={ROLE_VS}")["entry"][0]["resource"]
    by_url = fhir.search(f"ValueSet/$expand?url={ROLE_VS}")["expansion"]["contains"]
    assert {c["code"] for c in by_url} >= {"tutor", "mentee"}
    instance = fhir.get(f"ValueSet/{stored['id']}/$expand")
    assert instance.status_code == 200, instance.json
    assert fhir.get(f"CodeSystem/$lookup?system={BASE}/CodeSystem/discipline"
                    "&code=psychiatry").status_code == 200


def test_read_only_even_for_network_admin(fhir: Fhir, loaded: ConformanceReport) -> None:
    stored = fhir.search(f"ValueSet?url={ROLE_VS}")["entry"][0]["resource"]
    version = stored["meta"]["versionId"]
    changed = {**stored, "title": "Changed"}
    assert fhir.put(f"ValueSet/{stored['id']}", changed).status_code == 403
    fresh = {k: v for k, v in changed.items() if k not in ("id", "meta")}
    assert fhir.post("ValueSet", fresh).status_code == 403
    assert fhir.delete(f"ValueSet/{stored['id']}").status_code == 403
    assert fhir.get(f"ValueSet/{stored['id']}").json["meta"]["versionId"] == version


def test_capability_statement_advertises_reads_only(fhir: Fhir) -> None:
    rest = fhir.get("metadata").json["rest"][0]
    kinds = {r["type"]: {i["code"] for i in r.get("interaction", [])} for r in rest["resource"]}
    for res_type in ("ValueSet", "CodeSystem", "StructureDefinition", "SearchParameter"):
        assert "read" in kinds[res_type] and "search-type" in kinds[res_type]
        assert not kinds[res_type] & {"create", "update", "delete", "patch"}


def test_the_demo_still_loads_on_a_database_with_conformance_only(
        app: Flask, loaded: ConformanceReport) -> None:
    with app.app_context(), unit_of_work(
            app.extensions["registry.database"], app.extensions["registry.node"],
            Caller.system(), AuditTrail(), TEST_BASE, write=False) as service:
        assert is_empty(service.ctx.conn)
