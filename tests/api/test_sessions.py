"""Session Encounters: the profile on every write, and participant-hours computed exactly."""

from __future__ import annotations

from typing import Any

import pytest

from registry.services.sessions import (
    attendance_minutes,
    merge_intervals,
    parse_instant,
    participant_hours,
    session_date,
)
from tests import factories as f
from tests.casework import ROLE, network, session
from tests.conftest import Fhir


@pytest.fixture
def refs(fhir: Fhir) -> dict[str, str]:
    return network(fhir)


def entry(ref: str, start: str, end: str, code: str = "mentee") -> dict[str, Any]:
    return {"type": [{"coding": [{"system": ROLE, "code": code}]}],
            "period": {"start": f"2026-11-05T{start}:00Z", "end": f"2026-11-05T{end}:00Z"},
            "individual": {"reference": ref}}


def test_participant_hours_merge_overlaps_per_individual() -> None:
    encounter = {"participant": [
        entry("PractitionerRole/a", "14:00", "14:30"),
        entry("PractitionerRole/a", "14:20", "15:00"),  # second device, overlapping
        entry("PractitionerRole/a", "15:00", "15:10"),  # touching: no gap, no double count
        entry("PractitionerRole/a", "15:30", "15:45"),  # rejoined after a gap
        entry("PractitionerRole/b", "14:20", "14:50"),  # someone else at the same time
        {"type": [{"coding": [{"system": ROLE, "code": "tutor"}]}],
         "individual": {"reference": "PractitionerRole/t"}},  # planned, no period
    ]}
    assert attendance_minutes(encounter) == {"PractitionerRole/a": 85.0,
                                             "PractitionerRole/b": 30.0}
    assert participant_hours(encounter) == pytest.approx(115 / 60)
    assert participant_hours({"participant": []}) == 0


def test_interval_helpers() -> None:
    a, b = parse_instant("2026-11-05T14:00:00-03:00"), parse_instant("2026-11-05T17:30:00Z")
    assert (b - a).total_seconds() == 30 * 60
    assert merge_intervals([(b, b), (a, b)]) == [(a, b)]
    assert session_date({"period": {"start": "2026-11-05T23:30:00-03:00"}}).isoformat() == (
        "2026-11-06")


def test_a_valid_session_is_stored_and_found_by_program(fhir: Fhir,
                                                        refs: dict[str, str]) -> None:
    body = session(refs["program"], refs["tutor"])
    body["participant"].append(entry(refs["presenter"], "19:00", "19:40", "presenter"))
    created = fhir.create(body)
    assert sorted(fhir.ids(f"Encounter?program={refs['program']}")) == sorted(
        [created["id"], refs["session"].split("/")[1]])
    assert fhir.ids(f"Encounter?participant={refs['presenter']}") == [created["id"]]


@pytest.mark.parametrize(("change", "where"), [
    ({"extension": []}, "extension('https://telementoring.example.org/fhir/StructureDefinition/"
                        "session-program')"),
    ({"class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}},
     "Encounter.class"),
    ({"subject": {"reference": "Patient/p"}}, "Encounter.subject"),
    ({"serviceType": {"coding": [{"system": f.TOPIC, "code": "no-such-topic"}]}},
     "Encounter.serviceType"),
    ({"period": {"end": "2026-11-05T20:00:00Z"}}, "Encounter.period.start"),
])
def test_the_session_profile_is_enforced(fhir: Fhir, refs: dict[str, str],
                                         change: dict[str, Any], where: str) -> None:
    body = {**session(refs["program"], refs["tutor"]), **change}
    response = fhir.post("Encounter", body)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert where in response.get_data(as_text=True)


def test_participants_need_a_type_and_a_practitioner(fhir: Fhir,
                                                     refs: dict[str, str]) -> None:
    untyped = session(refs["program"], refs["tutor"])
    del untyped["participant"][0]["type"]
    assert fhir.post("Encounter", untyped).status_code == 422
    organization = session(refs["program"], refs["hub"])
    response = fhir.post("Encounter", organization)
    assert response.status_code == 422
    assert "participant[0].individual" in response.get_data(as_text=True)
