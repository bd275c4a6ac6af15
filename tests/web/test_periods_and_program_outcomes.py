"""``?period=`` on every page (400 for a bad one), the outcomes page's default period, the
program page's outcomes, and charts that never put two units on one axis."""

from __future__ import annotations

import csv
import io

import pytest
from babel.numbers import format_decimal
from flask import Flask

from tests.api.test_outcomes import evaluate_and_release
from tests.casework import ROLE
from tests.casework import network as case_network
from tests.casework import session as session_of
from tests.conftest import Fhir, make_token
from tests.services.evaluations.test_analysis import figures, load
from tests.web.conftest import HTML, signed_in

PAGES = ("/", "/dashboard/hubs", "/dashboard/activity", "/dashboard/reach", "/dashboard/cases",
         "/dashboard/programs", "/dashboard/outcomes", "/dashboard/peers",
         "/dashboard/activity.csv", "/dashboard/cases.csv", "/dashboard/reach.csv")


@pytest.mark.parametrize("period", ("2026-13", "2026-Q5", "last-month", "26"))
def test_every_page_refuses_a_bad_period(app: Flask, fhir: Fhir, period: str) -> None:
    client = signed_in(app, fhir.token or "")
    for path in PAGES:
        answer = client.get(f"{path}?period={period}", headers=HTML)
        assert answer.status_code == 400, path
        assert "YYYY, YYYY-Qn or YYYY-MM" in answer.get_data(as_text=True), path


def test_a_period_filters_sessions_cases_and_key_figures(app: Flask, fhir: Fhir) -> None:
    refs = case_network(fhir)
    attended = [{"type": [{"coding": [{"system": ROLE, "code": "mentee"}]}],
                 "individual": {"reference": refs["presenter"]},
                 "period": {"start": "2026-10-07T18:00:00Z", "end": "2026-10-07T19:30:00Z"}}]
    fhir.create(session_of(refs["program"], refs["tutor"], start="2026-10-07T18:00:00Z",
                           end="2026-10-07T19:30:00Z", participant=attended))
    client = signed_in(app, fhir.token or "")

    def months(period: str) -> dict[str, str]:
        rows = csv.DictReader(io.StringIO(client.get(
            f"/dashboard/activity.csv?period={period}").get_data(as_text=True)))
        return {r["month"]: r["sessions"] for r in rows}

    assert months("2026-10") == {"2026-10": "1"}
    assert months("2026-11") == {"2026-11": "1"}
    assert months("2026-Q4") == {"2026-10": "1", "2026-11": "1"}
    assert months("2025") == {}
    page = client.get("/?period=2026-10", headers=HTML).get_data(as_text=True)
    assert 'data-figure="sessions">1<' in page and 'data-figure="hours">1.5<' in page
    assert 'name="period" value="2026-10"' in page
    assert 'href="/dashboard/activity.csv?period=2026-10"' in client.get(
        "/dashboard/activity?period=2026-10", headers=HTML).get_data(as_text=True)


def test_the_outcomes_page_shows_the_latest_release_by_default(app: Flask, fhir: Fhir) -> None:
    load(fhir)
    evaluate_and_release(app, "2026-05")
    viewer = signed_in(app, make_token(app, "global-viewer"))
    page = viewer.get("/dashboard/outcomes", headers=HTML).get_data(as_text=True)
    assert 'name="period" value="2026-05"' in page
    assert 'data-indicator="knowledge-gain"' in page


def test_the_program_page_shows_its_change_with_the_interval(app: Flask, fhir: Fhir) -> None:
    net = load(fhir)
    program_id = net["program"].split("/")[1]
    (sud,) = figures(fhir.get(f"HealthcareService/{program_id}/$evaluation-analysis"
                              ).json)["instruments"]
    stats = sud["statistics"]
    admin = signed_in(app, fhir.token or "")
    page = admin.get(f"/dashboard/programs/{program_id}", headers=HTML).get_data(as_text=True)
    assert 'data-table="program-changes"' in page
    low, high = stats["meanChangeCi"]["low"], stats["meanChangeCi"]["high"]
    shown = " – ".join(format_decimal(round(v, 1), locale="en") for v in (low, high))
    assert f'data-figure="interval">{shown}<' in page
    assert page.count('data-chart="outcomes"') == 1  # one kind, one axis


def test_knowledge_and_self_efficacy_never_share_an_axis(app: Flask) -> None:
    from registry.http.web import charts
    from registry.services.dashboard import Change

    found = [Change("p", "P", "knowledge", "Test", 10, 50.0, 70.0, 20.0, 10.0, 30.0),
             Change("p", "P", "self-efficacy", "Scale", 10, 3.0, 3.5, 0.5, 0.2, 0.8)]
    with app.test_request_context():
        panels = charts.change_panels(found)
    assert [kind for kind, _ in panels] == ["knowledge", "self-efficacy"]
    for kind, chart in panels:
        assert chart.svg.count('class="interval"') == 1
        assert f'data-kind="{kind}"' in chart.svg
    assert "percent correct" in panels[0][1].svg and "scale points" in panels[1][1].svg


def test_the_program_page_shows_its_schedule_in_the_readers_language(
        app: Flask, fhir: Fhir, network: dict[str, str]) -> None:
    program = fhir.get(f"HealthcareService/{network['program_pe']}").json
    program["availableTime"] = [{"daysOfWeek": ["wed"], "availableStartTime": "18:00:00",
                                 "availableEndTime": "19:30:00"}]
    assert fhir.put(f"HealthcareService/{network['program_pe']}", program).status_code == 200
    client = signed_in(app, fhir.token or "")
    page = client.get(f"/dashboard/programs/{network['program_pe']}?lang=es",
                      headers=HTML).get_data(as_text=True)
    assert 'data-field="schedule">miércoles 18:00–19:30<' in page
