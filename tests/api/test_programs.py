"""Cohorts, needs, work plans, scheduled sessions, progress and calendar feeds over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from icalendar import Calendar

from tests import factories as f
from tests.conftest import Fhir, make_token
from tests.programs import SESSION_COHORT, care_plan, cohort, needs_response, program_network


@pytest.fixture
def refs(fhir: Fhir) -> dict[str, Any]:
    return program_network(fhir)


def parts(parameters: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [p for p in parameters["parameter"] if p["name"] == name]


def value(parameters: dict[str, Any], name: str) -> Any:
    found = parts(parameters, name)[0]
    return next(v for k, v in found.items() if k.startswith("value"))


def part_values(part: dict[str, Any]) -> dict[str, Any]:
    return {p["name"]: next(v for k, v in p.items() if k.startswith("value"))
            for p in part["part"] if any(k.startswith("value") for k in p)}


def schedule(fhir: Fhir, cohort: str, rrule: str, start: str = "2027-02-03T14:00:00",
             zone: str = "America/Sao_Paulo", **extra: Any) -> Any:
    params = [{"name": "rrule", "valueString": rrule}, {"name": "start", "valueDateTime": start},
              {"name": "timezone", "valueCode": zone},
              {"name": "duration", "valueInteger": 90}]
    params += [{"name": k, "valueDate" if k == "holiday" else "valueString": v}
               for k, values in extra.items() for v in values]
    return fhir.post(f"{cohort}/$schedule", {"resourceType": "Parameters", "parameter": params})


def test_needs_summary_ranks_needs_overall_and_by_discipline_and_settlement(
        fhir: Fhir, refs: dict[str, Any]) -> None:
    a, b, c = refs["mentees"]
    fhir.create(needs_response(a, "nursing", "rural", ["opioid-use-disorder", "hiv-art"],
                               authored="2027-01-01"))
    fhir.create(needs_response(a, "nursing", "rural", ["opioid-use-disorder", "hepatitis-c"]))
    fhir.create(needs_response(b, "primary-care", "urban", ["opioid-use-disorder"]))
    fhir.create(needs_response(c, "nursing", "rural", ["hepatitis-c", "mental-health"]))
    summary = fhir.get(f"{refs['cohort']}/$needs-summary").json
    assert value(summary, "members") == 3 and value(summary, "respondents") == 3
    top = [part_values(p) for p in parts(summary, "need")]
    assert [(n["topic"]["code"], n["mentees"]) for n in top] == [
        ("hepatitis-c", 2), ("opioid-use-disorder", 2), ("mental-health", 1)]
    rural = next(part_values(p) | {"needs": [part_values(n) for n in p["part"]
                                             if n["name"] == "need"]}
                 for p in parts(summary, "by-settlement")
                 if part_values(p)["settlement"]["code"] == "rural")
    assert rural["respondents"] == 2 and rural["needs"][0]["topic"]["code"] == "hepatitis-c"
    assert {part_values(p)["discipline"]["code"] for p in parts(summary, "by-discipline")} == {
        "nursing", "primary-care"}


def test_a_group_without_a_program_is_not_a_cohort(fhir: Fhir, refs: dict[str, Any]) -> None:
    group = fhir.create({"resourceType": "Group", "type": "practitioner", "actual": True})
    response = fhir.get(f"Group/{group['id']}/$needs-summary")
    assert response.status_code == 422


def test_schedule_plans_weekly_sessions_in_local_time_skipping_holidays(
        fhir: Fhir, refs: dict[str, Any]) -> None:
    # Tiradentes (a public holiday in Brazil) is Wednesday 2027-04-21; 2027-05-05 is the
    # coordinator's own day off.
    response = schedule(fhir, refs["cohort"], "FREQ=WEEKLY;COUNT=4",
                        start="2027-04-14T14:00:00", holiday=["2027-05-05"])
    assert response.status_code == 201, response.get_data(as_text=True)
    sessions = [e["resource"] for e in response.json["entry"]]
    starts = [s["period"]["start"] for s in sessions]
    assert starts == ["2027-04-14T14:00:00-03:00", "2027-04-28T14:00:00-03:00"]
    assert {s["status"] for s in sessions} == {"planned"}
    assert [s["type"][0]["coding"][0]["code"] for s in sessions] == ["buprenorphine",
                                                                     "screening"]
    assert sorted(fhir.ids(f"Encounter?cohort={refs['cohort']}&status=planned")) == sorted(
        s["id"] for s in sessions)
    assert all(any(e["url"] == SESSION_COHORT for e in s["extension"]) for s in sessions)


def test_schedule_keeps_wall_time_across_daylight_saving(fhir: Fhir,
                                                         refs: dict[str, Any]) -> None:
    response = schedule(fhir, refs["cohort"], "FREQ=MONTHLY;COUNT=2", start="2027-03-01T09:00:00",
                        zone="America/New_York", skipHolidays=["false"])
    assert [e["resource"]["period"]["start"] for e in response.json["entry"]] == [
        "2027-03-01T09:00:00-05:00", "2027-04-01T09:00:00-04:00"]


@pytest.mark.parametrize(("rrule", "zone", "start"), [
    ("FREQ=WEEKLY", "America/Sao_Paulo", "2027-02-02T14:00:00"),  # unbounded
    ("FREQ=SOMETIMES;COUNT=2", "America/Sao_Paulo", "2027-02-02T14:00:00"),
    ("FREQ=WEEKLY;COUNT=2", "Mars/Olympus", "2027-02-02T14:00:00"),
    ("FREQ=WEEKLY;COUNT=2", "America/Sao_Paulo", "2027-02-02T14:00:00Z"),
    ("FREQ=WEEKLY;COUNT=2", "America/Sao_Paulo", "next tuesday"),
])
def test_bad_schedules_answer_400_and_write_nothing(fhir: Fhir, refs: dict[str, Any],
                                                    rrule: str, zone: str, start: str) -> None:
    response = schedule(fhir, refs["cohort"], rrule, start=start, zone=zone)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["resourceType"] == "OperationOutcome"
    assert fhir.ids(f"Encounter?cohort={refs['cohort']}") == []


def test_scheduling_the_same_starts_twice_is_a_conflict(fhir: Fhir,
                                                        refs: dict[str, Any]) -> None:
    assert schedule(fhir, refs["cohort"], "FREQ=WEEKLY;COUNT=2").status_code == 201
    again = schedule(fhir, refs["cohort"], "FREQ=WEEKLY;INTERVAL=2;COUNT=3")
    assert again.status_code == 409
    assert len(fhir.ids(f"Encounter?cohort={refs['cohort']}")) == 2


def hold(fhir: Fhir, session: dict[str, Any], present: list[str]) -> None:
    start, end = session["period"]["start"], session["period"]["end"]
    session["status"] = "finished"
    session["participant"] = [{
        "type": [{"coding": [{"system": "https://telementoring.example.org/fhir/CodeSystem/"
                                        "program-role", "code": "mentee"}]}],
        "individual": {"reference": ref}, "period": {"start": start, "end": end}}
        for ref in present]
    response = fhir.put(f"Encounter/{session['id']}", session)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_progress_counts_held_sessions_topics_attendance_and_risk(
        fhir: Fhir, refs: dict[str, Any]) -> None:
    sessions = [e["resource"] for e in
                schedule(fhir, refs["cohort"], "FREQ=WEEKLY;COUNT=4",
                         skipHolidays=["false"]).json["entry"]]
    a, b, c = refs["mentees"]
    hold(fhir, sessions[0], [a, b, c])
    hold(fhir, sessions[1], [a, b])
    figures = fhir.get(f"{refs['cohort']}/$progress?missed=1").json
    assert value(figures, "sessions-planned") == 4 and value(figures, "sessions-held") == 2
    assert value(figures, "topics-planned") == 3 and value(figures, "topics-covered") == 2
    rows = {part_values(p)["member"]["reference"]: part_values(p)
            for p in parts(figures, "attendance")}
    assert rows[a]["sessions-attended"] == 2 and rows[a]["minutes"] == 180
    assert rows[c]["sessions-attended"] == 1
    assert [p["valueReference"]["reference"] for p in parts(figures, "at-risk")] == [c]
    assert parts(fhir.get(f"{refs['cohort']}/$progress?missed=3").json, "at-risk") == []
    assert fhir.get(f"{refs['cohort']}/$progress?missed=zero").status_code == 400


def test_calendar_feeds_open_with_a_token_or_the_key_and_follow_changes(
        app: Flask, fhir: Fhir, refs: dict[str, Any]) -> None:
    sessions = [e["resource"] for e in
                schedule(fhir, refs["cohort"], "FREQ=WEEKLY;COUNT=2",
                         skipHolidays=["false"]).json["entry"]]
    program_id = refs["program"].split("/")[1]
    links = fhir.post(f"{refs['program']}/$rotate-calendar-key",
                      {"resourceType": "Parameters"}).json
    urls = {part_values(p)["kind"]: part_values(p)["url"] for p in links["parameter"]}
    client = app.test_client()
    path = "/calendar/" + urls["cohort"].split("/calendar/", 1)[1]
    feed = client.get(path)
    assert feed.status_code == 200 and feed.content_type.startswith("text/calendar")
    events = Calendar.from_ical(feed.data).walk("VEVENT")
    assert len(events) == 2 and {int(e["SEQUENCE"]) for e in events} == {0}
    moved = dict(sessions[0], period={"start": "2027-02-04T15:00:00-03:00",
                                      "end": "2027-02-04T16:30:00-03:00"})
    assert fhir.put(f"Encounter/{moved['id']}", moved).status_code == 200
    events = Calendar.from_ical(client.get(path).data).walk("VEVENT")
    changed = next(e for e in events if str(e["UID"]).startswith(moved["id"]))
    assert int(changed["SEQUENCE"]) == 1
    assert changed.decoded("DTSTART").isoformat() == "2027-02-04T18:00:00+00:00"
    program_feed = client.get(f"/calendar/program/{program_id}.ics?key="
                              + urls["program"].split("key=")[1])
    # the program's feed also holds the session of the casework network
    assert len(Calendar.from_ical(program_feed.data).walk("VEVENT")) == 3
    # a key opens its own feed only; a rotated key opens nothing; no key, no feed
    assert client.get(f"/calendar/program/{program_id}.ics?key="
                      + urls["cohort"].split("key=")[1]).status_code == 403
    fhir.post(f"{refs['program']}/$rotate-calendar-key", {"resourceType": "Parameters"})
    assert client.get(path).status_code == 403
    assert client.get(path.split("?")[0]).status_code == 401
    token = {"Authorization": f"Bearer {make_token(app)}"}
    assert client.get(path.split("?")[0], headers=token).status_code == 200


def test_cohorts_plans_and_cohort_sessions_are_checked_on_write(
        fhir: Fhir, refs: dict[str, Any]) -> None:
    bad_cohort = cohort(refs["program"], refs["hub"], [refs["hub"]])
    assert fhir.post("Group", bad_cohort).status_code == 422
    assert fhir.post("Group", cohort("HealthcareService/nope", refs["hub"], [])
                     ).status_code == 422
    plan = care_plan(refs["cohort"], refs["hub"])
    del plan["activity"][0]["detail"]["reasonCode"]  # moved, without a reason
    response = fhir.post("CarePlan", plan)
    assert response.status_code == 422
    assert "reason" in response.get_data(as_text=True)
    session = schedule(fhir, refs["cohort"], "FREQ=WEEKLY;COUNT=1").json["entry"][0]["resource"]
    other = fhir.create(f.program("Other program", refs["hub"], country="BR"))
    session["extension"][0]["valueReference"]["reference"] = f"HealthcareService/{other['id']}"
    assert fhir.put(f"Encounter/{session['id']}", session).status_code == 422


def as_role(app: Flask, role: str, binding: str | None = None) -> Fhir:
    return Fhir(app.test_client(), make_token(app, role, binding=binding))


def test_policy_keeps_cohort_operations_in_their_hub(app: Flask, fhir: Fhir,
                                                     refs: dict[str, Any]) -> None:
    other_hub = fhir.create(f.hub("Hub Norte (teste)", "BR", ident="HUB-N"))
    own = as_role(app, "hub-admin", refs["hub"])
    stranger = as_role(app, "hub-admin", f"Organization/{other_hub['id']}")
    clinician = as_role(app, "spoke-clinician", refs["spoke"])
    viewer = as_role(app, "global-viewer")
    assert schedule(own, refs["cohort"], "FREQ=WEEKLY;COUNT=1").status_code == 201
    assert own.get(f"{refs['cohort']}/$progress").status_code == 200
    assert own.get(f"{refs['cohort']}/$needs-summary").status_code == 200
    for caller in (stranger, clinician, viewer):
        assert schedule(caller, refs["cohort"], "FREQ=WEEKLY;COUNT=1",
                        start="2027-06-01T10:00:00").status_code in (403, 404)
        assert caller.get(f"{refs['cohort']}/$progress").status_code in (403, 404)
        assert caller.post(f"{refs['program']}/$rotate-calendar-key",
                           {"resourceType": "Parameters"}).status_code in (403, 404)
    assert len(fhir.ids(f"Encounter?cohort={refs['cohort']}")) == 1
    path = f"/calendar/cohort/{refs['cohort'].split('/')[1]}.ics"
    assert app.test_client().get(path, headers={
        "Authorization": f"Bearer {stranger.token}"}).status_code in (403, 404)
    assert app.test_client().get(path, headers={
        "Authorization": f"Bearer {own.token}"}).status_code == 200


def test_the_capability_statement_lists_the_program_operations(anonymous: Fhir) -> None:
    rest = anonymous.get("metadata").json["rest"][0]
    operations = {r["type"]: {o["name"] for o in r.get("operation", [])}
                  for r in rest["resource"]}
    assert {"needs-summary", "progress", "schedule"} <= operations["Group"]
    assert "certificate" in operations["PractitionerRole"]
    assert "rotate-calendar-key" in operations["HealthcareService"]
    assert "consultation-turnaround" in operations["Organization"]
    assert {"ServiceRequest", "Task", "DocumentReference"} <= set(operations)
