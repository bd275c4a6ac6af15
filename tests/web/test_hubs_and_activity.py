"""The hubs directory and hub pages, and activity from real session Encounters."""

from __future__ import annotations

import csv
import io

from flask import Flask

from tests.casework import ROLE
from tests.casework import network as case_network
from tests.casework import session as session_of
from tests.conftest import Fhir, make_token
from tests.web.conftest import HTML, signed_in


def test_a_hub_admin_sees_every_hub_but_opens_only_its_own(app: Flask, network) -> None:
    client = signed_in(app, make_token(app, "hub-admin",
                                       binding=f"Organization/{network['hub_pe']}"))
    listing = client.get("/dashboard/hubs", headers=HTML).get_data(as_text=True)
    assert "Hub Andino" in listing and "Hub Ibérico" in listing
    assert f"/dashboard/hubs/{network['hub_pe']}" in listing
    assert f"/dashboard/hubs/{network['hub_es']}" not in listing
    own = client.get(f"/dashboard/hubs/{network['hub_pe']}", headers=HTML)
    assert own.status_code == 200
    assert "Posta cusco" in own.get_data(as_text=True)
    assert client.get(f"/dashboard/hubs/{network['hub_es']}", headers=HTML).status_code == 403


def test_activity_counts_sessions_and_participant_hours(app: Flask, fhir: Fhir) -> None:
    refs = case_network(fhir)
    attended = [{"type": [{"coding": [{"system": ROLE, "code": "tutor"}]}],
                 "individual": {"reference": refs["tutor"]},
                 "period": {"start": "2026-10-07T18:00:00Z", "end": "2026-10-07T19:30:00Z"}},
                {"type": [{"coding": [{"system": ROLE, "code": "mentee"}]}],
                 "individual": {"reference": refs["presenter"]},
                 "period": {"start": "2026-10-07T18:15:00Z", "end": "2026-10-07T19:15:00Z"}}]
    fhir.create(session_of(refs["program"], refs["tutor"], start="2026-10-07T18:00:00Z",
                           end="2026-10-07T19:30:00Z", participant=attended))
    client = signed_in(app, fhir.token or "")
    rows = list(csv.DictReader(io.StringIO(
        client.get("/dashboard/activity.csv").get_data(as_text=True))))
    assert {r["month"]: (r["sessions"], r["participant_hours"]) for r in rows} == {
        "2026-10": ("1", "2.5"), "2026-11": ("1", "0.0")}
    page = client.get("/dashboard/activity", headers=HTML).get_data(as_text=True)
    assert "ECHO Dependência Química" in page and "substance-use-disorders" in page
    assert page.count('class="bar"') == 4  # two months in each of two charts
    hub = client.get(f"/dashboard/hubs/{refs['hub'].split('/')[1]}", headers=HTML)
    assert hub.get_data(as_text=True).count('class="bar"') == 2


def test_a_global_viewer_sees_no_sessions(app: Flask, fhir: Fhir) -> None:
    case_network(fhir)
    client = signed_in(app, make_token(app, "global-viewer"))
    page = client.get("/dashboard/activity", headers=HTML).get_data(as_text=True)
    assert "does not see teaching sessions" in page
