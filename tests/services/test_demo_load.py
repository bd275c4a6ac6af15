"""``registry demo`` loads the whole product: a published directory, sessions with attendance,
cases with follow-ups and recommendations; a second load changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from registry.services.demo import PARTS, DemoRun, load_demo
from registry.services.demo.loaders import PERIODS
from registry.services.evaluations.facts import paired_changes
from registry.services.outcomes.evaluation import evaluated_keys
from registry.services.outcomes.reports import read_report
from registry.services.outcomes.service import OutcomesService
from registry.services.reporting import outcomes_service
from tests.conftest import Fhir, make_token, system_service

SCALE = 0.05


@pytest.fixture
def loaded(app: Flask) -> list[str]:
    return load_demo(DemoRun(7, SCALE, lambda: system_service(app, name="demo"), batch=200))


def test_every_part_reports_a_line(loaded: list[str]) -> None:
    assert len(loaded) == len(PARTS)
    assert [line.split(":")[0] for line in loaded] == ["directory", "sessions", "cases",
                                                        "evaluations", "programs", "outcomes"]


def test_sessions_carry_attendance(fhir: Fhir, loaded: list[str]) -> None:
    sessions = fhir.search("Encounter?class=VR&_count=5")
    assert sessions["entry"]
    for entry in sessions["entry"]:
        attended = [p for p in entry["resource"]["participant"] if "period" in p]
        assert attended


def test_cases_have_follow_ups_and_recommendations(fhir: Fhir, loaded: list[str]) -> None:
    compositions = [e["resource"] for e in fhir.search("Composition?_count=200")["entry"]]
    follow_ups = [c for c in compositions if c.get("relatesTo")]
    assert follow_ups and len(follow_ups) * 2 == len(compositions)
    assert all("DEMO-" not in str(c) for c in compositions)  # de-identified on the way in
    about = {e["resource"]["about"][0]["reference"]
             for e in fhir.search("Communication?_count=200")["entry"]
             if e["resource"]["about"][0]["reference"].startswith("Composition/")}
    assert about == {f"Composition/{c['id']}" for c in compositions}


def test_global_viewer_sees_the_published_directory_only(app: Flask, fhir: Fhir,
                                                         loaded: list[str]) -> None:
    viewer = Fhir(app.test_client(), make_token(app, "global-viewer"))
    hubs = viewer.search("Organization?type=hub&_summary=count")["total"]
    assert hubs == fhir.search("Organization?type=hub&_summary=count")["total"] > 0
    assert viewer.search("HealthcareService?_summary=count")["total"] > 0
    assert viewer.search("Organization?type=national-program&_summary=count")["total"] == 0
    assert viewer.search("Practitioner?_summary=count")["total"] == 0  # people never published


def test_a_second_load_changes_nothing(app: Flask, loaded: list[str]) -> None:
    again = load_demo(DemoRun(7, SCALE, lambda: system_service(app, name="demo"), batch=200))
    assert again[0].startswith("directory: 0 written") and again[1].startswith(
        "sessions: 0 written") and again[2] == "cases: already presented, none added"
    assert again[3].startswith("evaluations: 0 written")
    assert again[4].startswith("programs: 0 written")


def test_outcomes_are_released_for_the_demo_year_with_small_cells_masked(
        app: Flask, loaded: list[str]) -> None:
    with system_service(app, write=False) as service:
        reports = OutcomesService(service).released("2025")
    assert reports and any("masked" in str(r) for r in reports)
    counted = [r["group"][0]["population"][0].get("count") for r in reports]
    assert any(c for c in counted)  # the loaded sessions and cases are counted


@pytest.mark.settings(disclosure_threshold=2)  # the lowest: the test loads a twentieth
def test_every_indicator_has_figures_shown_in_a_released_report(app: Flask,
                                                                loaded: list[str]) -> None:
    with system_service(app, write=False) as service:
        outcomes = outcomes_service(service)
        reports = [r for period in PERIODS for r in outcomes.released(period)]
    shown: set[str] = set()
    for report in reports:
        data = read_report(report)
        figures = [data.total, *(f for values in data.strata.values() for f in values.values())]
        if any(not f.masked and any(f.counts.values()) for f in figures):
            shown.add(data.indicator)
    # new-spokes: three spokes join in the small network's year, one or two a quarter, so
    # every figure of theirs is masked or would uncover another (the full demo shows them)
    assert shown == evaluated_keys() - {"new-spokes"}


def test_evaluations_pair_pre_and_post_for_the_outcome_measures(app: Flask,
                                                               loaded: list[str]) -> None:
    with system_service(app, write=False) as service:
        pairs = paired_changes(service.ctx.conn, start=date(2000, 1, 1), end=date(2100, 1, 1))
    assert pairs and {p.kind for p in pairs} >= {"knowledge", "self-efficacy"}
