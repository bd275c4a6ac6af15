"""Outcomes end to end: evaluate, release through disclosure control, who sees what, the
ledger, export and import; on both databases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from adapters.adx import adx_schema
from registry.services.outcomes.service import OutcomesService, outcome_settings
from tests.conftest import TEST_BASE, Fhir, make_token, system_service
from tests.services.outcomes.network import (
    attendee,
    case,
    held,
    outcomes_network,
    recommend,
    store_measures,
)

DAY = "2026-11-04"
NOVEMBER = "periodStart=2026-11-01&periodEnd=2026-11-30"


@pytest.fixture
def refs(app: Flask, fhir: Fhir) -> dict[str, str]:
    store_measures(app)
    refs = outcomes_network(fhir)
    refs["s1"] = held(fhir, refs, DAY, [attendee(refs["mentee0"], DAY, "14:00", "15:00")])
    first = case(fhir, refs, refs["s1"], DAY)
    recommend(fhir, refs, first, refs["s1"], "2026-11-06T14:00:00Z")
    return refs


def outcomes(app: Flask, service: Any, aggregators: frozenset[str] = frozenset()
             ) -> OutcomesService:
    return OutcomesService(service, outcome_settings(11, aggregators))


def evaluate_and_release(app: Flask, period: str = "2026-11", to: str | None = None,
                         aggregators: frozenset[str] = frozenset()) -> Any:
    with system_service(app) as service:
        outcomes(app, service, aggregators).evaluate(period)
    with system_service(app) as service:
        return outcomes(app, service, aggregators).release(period, to)


def client(app: Flask, role: str, **binding: Any) -> Fhir:
    return Fhir(app.test_client(), make_token(app, role, **binding))


def count(report: dict[str, Any]) -> Any:
    population = report["group"][0]["population"][0]
    return population.get("count", "masked")


def test_exact_to_admins_released_masked_to_others(app: Flask, fhir: Fhir,
                                                   refs: dict[str, str]) -> None:
    viewer = client(app, "global-viewer")
    path = f"Measure/sessions-held/$evaluate-measure?{NOVEMBER}"
    assert viewer.get(path).status_code == 404  # nothing released yet
    exact = fhir.get(path)
    assert exact.status_code == 200, exact.get_data(as_text=True)
    assert count(exact.json) == 2  # the casework session and s1
    hub_admin = client(app, "hub-admin", binding=refs["hub"])
    own = hub_admin.get(f"{path}&subject={refs['hub']}")
    assert own.status_code == 200 and count(own.json) == 2  # its own hub: exact
    assert hub_admin.get(path).status_code == 404  # the node's report: not yet released
    release = evaluate_and_release(app)
    assert release.audit.passed
    masked = viewer.get(path)
    assert masked.status_code == 200
    assert count(masked.json) == "masked"  # 2 is a small cell
    assert masked.json["status"] == "complete"
    assert count(fhir.get(path).json) == 2  # network-admin: exact still
    stored = viewer.search("MeasureReport?_count=100")
    assert stored.get("total", 0) >= 1
    assert all(count(e["resource"]) in ("masked", 0) or count(e["resource"]) >= 11
               for e in stored["entry"])


def test_a_hub_admin_sees_its_own_hub_exact(app: Flask, refs: dict[str, str]) -> None:
    with system_service(app) as service:
        outcomes(app, service).evaluate("2026-11", refs["hub"])
    hub_admin = client(app, "hub-admin", binding=refs["hub"])
    path = f"Measure/sessions-held/$evaluate-measure?{NOVEMBER}&subject={refs['hub']}"
    response = hub_admin.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert count(response.json) == 2
    other = client(app, "global-viewer").get(path)
    assert other.status_code == 404


def test_release_ledger_and_revision(app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    first = evaluate_and_release(app)
    assert first.record is not None and first.record.version == 1
    again = evaluate_and_release(app)
    assert again.record is None  # same figures: no new version
    held(fhir, refs, "2026-11-18", [attendee(refs["mentee1"], "2026-11-18", "14:00", "15:00")])
    revised = evaluate_and_release(app)
    assert revised.record is not None and revised.record.version == 2
    assert revised.record.supersedes == first.record.sha256
    with system_service(app) as service:
        ledger = outcomes(app, service).ledger("2026-11")
    assert [r.version for r in ledger] == [1, 2]
    assert all(not r.exact and r.threshold == 11 for r in ledger)


def test_exact_figures_only_to_the_named_aggregator(app: Flask, refs: dict[str, str]) -> None:
    from registry.errors import Forbidden

    with pytest.raises(Forbidden):
        evaluate_and_release(app, to="someone")
    done = evaluate_and_release(app, to="global-node", aggregators=frozenset({"global-node"}))
    assert done.record is not None and done.record.exact
    assert done.record.audience == "global-node"


def test_export_formats_and_import(app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    assert fhir.get("MeasureReport/$aggregate-export?format=csv&period=2026-11"
                    ).status_code == 200  # nothing released: an empty export
    evaluate_and_release(app)
    csv_text = fhir.get("MeasureReport/$aggregate-export?format=csv&period=2026-11")
    assert csv_text.status_code == 200
    assert csv_text.get_data(as_text=True).startswith("measure,indicator,subject")
    adx = fhir.get("MeasureReport/$aggregate-export?format=adx&period=2026-11")
    assert adx.status_code == 200, adx.get_data(as_text=True)
    assert adx_schema().is_valid(adx.get_data(as_text=True))
    bundle = fhir.get("MeasureReport/$aggregate-export?format=fhir&period=2026-11").json
    assert bundle["resourceType"] == "Bundle" and bundle["entry"]
    bad = fhir.get("MeasureReport/$aggregate-export?format=xls&period=2026-11")
    assert bad.status_code == 400
    imported = fhir.post("MeasureReport/$aggregate-import", adx.get_data(as_text=True),
                         content_type="application/adx+xml")
    assert imported.status_code == 200, imported.get_data(as_text=True)
    broken = fhir.post("MeasureReport/$aggregate-import", json.dumps({"dataValues": [{}]}),
                       content_type="application/json")
    assert broken.status_code == 422


def test_evaluate_measure_works_by_stored_measure_id(app: Flask, fhir: Fhir,
                                                     refs: dict[str, str]) -> None:
    measure = fhir.get("Measure/sessions-held")
    assert measure.status_code == 200 and measure.json["url"].endswith("/sessions-held")
    assert fhir.put("Measure/sessions-held", measure.json).status_code == 403  # node only
    store_measures(app, [{**measure.json, "id": "echo-sessions"}])
    report = fhir.get(f"Measure/echo-sessions/$evaluate-measure?{NOVEMBER}")
    assert report.status_code == 200, report.get_data(as_text=True)
    assert report.json["measure"].startswith(measure.json["url"])
    assert count(report.json) == 2


def test_evaluate_measure_refuses_bad_input(fhir: Fhir, refs: dict[str, str]) -> None:
    assert fhir.get("Measure/nope/$evaluate-measure?" + NOVEMBER).status_code == 404
    assert fhir.get("Measure/sessions-held/$evaluate-measure").status_code == 400
    odd = "periodStart=2026-11-02&periodEnd=2026-11-30"
    assert fhir.get(f"Measure/sessions-held/$evaluate-measure?{odd}").status_code == 400
    assert TEST_BASE


def test_dhis2_export_with_a_mapping_and_back(app: Flask, fhir: Fhir, refs: dict[str, str],
                                              tmp_path: Any) -> None:
    from adapters.dhis2 import load_mapping
    from registry.services.outcomes import exchange

    mapping = load_mapping({
        "dataSet": "TmOutcomes1", "suppressed": "comment", "orgUnits": {TEST_BASE: "NodeOrgUnit"},
        "dataElements": [{"indicator": "sessions-held", "value": "initial-population",
                          "dataElement": "TmSessions1"}],
        "categoryOptionCombos": {"total": "bRowv6yZOF2"}})
    evaluate_and_release(app)
    with system_service(app) as service:
        reports = outcomes(app, service).released("2026-11")
    text, media_type = exchange.export(reports, "dhis2", exported="2026-12-01T00:00:00Z",
                                       mapping=mapping)
    payload = json.loads(text)
    assert media_type == "application/json"
    assert payload["dataValues"] == [{
        "dataElement": "TmSessions1", "period": "202611", "orgUnit": "NodeOrgUnit",
        "categoryOptionCombo": "bRowv6yZOF2", "comment": "masked"}]
    unmapped = fhir.get("MeasureReport/$aggregate-export?format=dhis2&period=2026-11")
    assert unmapped.status_code == 422  # the shipped example maps no subject of this node
    assert "no organisation unit" in unmapped.get_data(as_text=True)


def test_the_operations_are_in_the_capability_statement(anonymous: Fhir) -> None:
    statement = anonymous.get("metadata").json
    operations = {r["type"]: {o["name"] for o in r.get("operation", [])}
                  for r in statement["rest"][0]["resource"]}
    assert "evaluate-measure" in operations["Measure"]
    assert {"aggregate-export", "aggregate-import"} <= operations["MeasureReport"]
