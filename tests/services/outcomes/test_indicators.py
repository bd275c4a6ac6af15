"""Each indicator against counts worked out by hand in the test, over facts kept on write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask

from registry.services.outcomes import evaluation
from registry.services.outcomes.evaluation import Scope
from registry.services.outcomes.measures import catalogue
from registry.services.outcomes.periods import parse_period
from registry.services.outcomes.reports import Counted
from registry.storage.database import Connection
from tests.api.test_consultations import answer, request_body
from tests.conftest import TEST_BASE, Fhir, system_service
from tests.programs import cohort
from tests.services.outcomes.network import attendee, case, held, outcomes_network, recommend

DAY1, DAY2, DAY3 = "2026-11-04", "2026-11-11", "2026-12-02"


@pytest.fixture
def refs(fhir: Fhir) -> dict[str, str]:
    refs = outcomes_network(fhir)
    m0, m1, m2 = refs["mentee0"], refs["mentee1"], refs["mentee2"]
    # session 1: m0 14:00-15:00 and again 14:30-15:30 (overlap: 1.5 h), m1 0.5 h, the
    # presenter 1 h (code presenter), tutor (faculty, never counted)
    refs["s1"] = held(fhir, refs, DAY1, [
        attendee(m0, DAY1, "14:00", "15:00"), attendee(m0, DAY1, "14:30", "15:30"),
        attendee(m1, DAY1, "14:00", "14:30"),
        attendee(refs["presenter"], DAY1, "14:00", "15:00", "presenter"),
        attendee(refs["tutor"], DAY1, "14:00", "15:30", "tutor")])
    refs["s2"] = held(fhir, refs, DAY2, [attendee(m0, DAY2, "14:00", "14:45")],
                      program="program2", topic="pain-opioid-management")
    refs["s3"] = held(fhir, refs, DAY3, [attendee(m2, DAY3, "14:00", "15:00")])
    first = case(fhir, refs, refs["s1"], DAY1)
    case(fhir, refs, refs["s3"], DAY3, follow_up_of=first)
    recommend(fhir, refs, first, refs["s1"], "2026-11-06T14:00:00Z")  # 2 days after the session
    recommend(fhir, refs, first, refs["s1"], "2026-11-20T14:00:00Z")  # later: not the earliest
    return refs


def figures(app: Flask, key: str, period: str, hub: str | None = None) -> Any:
    with system_service(app, write=False) as service:
        return evaluation.figures(service.ctx.conn, catalogue().by_key(key),
                                  Scope(parse_period(period), TEST_BASE, hub))


def test_sessions_held(app: Flask, refs: dict[str, str]) -> None:
    quarter = figures(app, "sessions-held", "2026-Q4")  # the casework session is one more
    assert quarter.total == Counted(4)
    assert quarter.strata["period-month"] == {"2026-11": Counted(3), "2026-12": Counted(1)}
    assert quarter.strata["topic"] == {"pain-opioid-management": Counted(1),
                                       "substance-use-disorders": Counted(3)}
    assert quarter.strata["hub"] == {f"{TEST_BASE}/{refs['hub']}": Counted(4)}
    assert quarter.strata["country"] == {"BR": Counted(4)}
    assert figures(app, "sessions-held", "2026-10").total == Counted(0)
    assert "period-month" not in figures(app, "sessions-held", "2026-11").strata


def test_participant_hours_merge_overlaps_and_leave_faculty_out(app: Flask,
                                                                refs: dict[str, str]) -> None:
    november = figures(app, "participant-hours", "2026-11")
    # m0: 1.5 + 0.75, m1: 0.5, presenter: 1.0 -> 4 attendances, 3.75 h
    assert november.total == Counted(4, observation_sum=3.75)
    assert november.strata["discipline"]["nursing"] == Counted(2, observation_sum=2.25)
    assert november.strata["settlement"] == {"rural": Counted(4, observation_sum=3.75)}


def test_unique_participants_and_active_spokes(app: Flask, refs: dict[str, str]) -> None:
    quarter = figures(app, "unique-participants", "2026-Q4")
    assert quarter.total == Counted(4)  # m0, m1, presenter, m2
    assert quarter.strata["program"][f"{TEST_BASE}/{refs['program']}"] == Counted(4)
    assert quarter.strata["program"][f"{TEST_BASE}/{refs['program2']}"] == Counted(1)
    assert quarter.strata["settlement"] == {"rural": Counted(3), "urban": Counted(1)}
    spokes = figures(app, "active-spokes", "2026-Q4")
    assert spokes.total == Counted(2)
    assert spokes.strata["settlement"] == {"rural": Counted(1), "urban": Counted(1)}
    assert figures(app, "active-rural-spokes", "2026-Q4").total == Counted(1)
    assert figures(app, "active-spokes", "2026-11").total == Counted(1)


def test_new_spokes(app: Flask, refs: dict[str, str]) -> None:
    assert figures(app, "new-spokes", "2026-11").total == Counted(1)
    assert figures(app, "new-spokes", "2026-12").total == Counted(0)


def test_cases_follow_ups_recommendations_and_days(app: Flask, refs: dict[str, str]) -> None:
    quarter = figures(app, "case-presentations", "2026-Q4")
    assert quarter.total == Counted(2)
    assert quarter.strata["discipline"] == {"primary-care": Counted(2)}
    assert figures(app, "follow-up-presentations", "2026-Q4").total == Counted(1)
    assert figures(app, "follow-up-presentations", "2026-11").total == Counted(0)
    assert figures(app, "recommendations-given", "2026-11").total == Counted(2)
    days = figures(app, "days-to-recommendation", "2026-11")
    assert days.total.count == 1
    assert days.total.median == pytest.approx(2.0)


def test_a_deleted_session_no_longer_counts(app: Flask, fhir: Fhir,
                                            refs: dict[str, str]) -> None:
    assert fhir.delete(refs["s3"]).status_code in (200, 204)
    assert figures(app, "sessions-held", "2026-Q4").total == Counted(3)


def test_facts_follow_an_update(app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    body = fhir.get(refs["s2"]).json
    body["status"] = "cancelled"
    assert fhir.put(refs["s2"], body).status_code == 200
    assert figures(app, "sessions-held", "2026-11").total == Counted(2)


def test_attrition_counts_cohort_mentees_who_stopped_attending(
        app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    m0, m1, m2 = refs["mentee0"], refs["mentee1"], refs["mentee2"]
    # December: the program holds s3 (m2) and s4 (m0); m0 and m1 attended s1 in November
    held(fhir, refs, "2026-12-09", [attendee(m0, "2026-12-09", "14:00", "15:00")])
    group = cohort(refs["program"], refs["hub"], [m0, m1, m2, refs["presenter"]])
    group["member"][3]["inactive"] = True  # the presenter left the cohort
    fhir.create(group)
    fhir.create(cohort(refs["program2"], refs["hub"], [m0, m1]))  # no session in December
    december = figures(app, "attrition", "2026-12")
    # denominator: m0 and m1 (attended before, program active); m2 had not attended before
    assert december.total == Counted(2, numerator=1)  # m1 stopped
    assert december.strata["discipline"] == {"nursing": Counted(1, numerator=0),
                                             "primary-care": Counted(1, numerator=1)}
    assert december.strata["program"] == {f"{TEST_BASE}/{refs['program']}": Counted(
        2, numerator=1)}
    assert figures(app, "attrition", "2026-11").total == Counted(0, numerator=0)


def test_consultation_turnaround_follows_the_consultation_rule(
        app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    def ask(authored: str) -> str:
        body = request_body(refs, "Dose?")
        return f"ServiceRequest/{fhir.create({**body, 'authoredOn': authored})['id']}"

    first, second = ask("2026-11-02T10:00:00Z"), ask("2026-11-20T10:00:00Z")
    ask("2026-11-21T10:00:00Z")  # never answered: not counted
    fhir.create(answer(first, refs, "2026-11-03T22:00:00Z"))  # 1.5 days
    fhir.create(answer(first, refs, "2026-11-10T10:00:00Z"))  # later: not the first answer
    fhir.create(answer(second, refs, "2026-12-01T10:00:00Z"))  # 11 days, answered in December
    november = figures(app, "consultation-turnaround", "2026-11")
    assert november.total == Counted(1, median=1.5)
    assert november.strata["hub"] == {f"{TEST_BASE}/{refs['hub']}": Counted(1, median=1.5)}
    assert november.strata["topic"] == {"opioid-use-disorder": Counted(1, median=1.5)}
    quarter = figures(app, "consultation-turnaround", "2026-Q4")
    assert quarter.total == Counted(2, median=6.25)
    assert quarter.strata["period-month"]["2026-12"] == Counted(1, median=11.0)


Q = "https://example.org/Questionnaire/"


@dataclass(frozen=True)
class Pair:
    instrument: str
    hub: str
    program: str | None
    cohort: str | None
    mentee_key: str
    pre: float
    post: float
    completed: date
    kind: str = ""
    role: str = ""


def test_evaluation_indicators_come_from_the_evaluation_source(app: Flask,
                                                               refs: dict[str, str]) -> None:
    pairs = [Pair(Q + "knowledge-test", refs["hub"], refs["program"], None, "m0",
                  40, 70, date(2026, 11, 20),
                  "knowledge", refs["mentee0"]),
             Pair(Q + "knowledge-test", refs["hub"], refs["program"], None, "m2",
                  50, 60, date(2026, 12, 3),
                  "knowledge", refs["mentee2"]),
             Pair(Q + "self-efficacy-test", refs["hub"], refs["program"], None, "m0",
                  2, 4, date(2026, 11, 20),
                  "self-efficacy", refs["mentee0"])]

    def source(conn: Connection, *, start: date, end: date,
               hub: str | None = None) -> list[Pair]:
        return [p for p in pairs if start <= p.completed <= end]

    with system_service(app, write=False) as service:
        scope = Scope(parse_period("2026-Q4"), TEST_BASE)
        gain = evaluation.figures(service.ctx.conn, catalogue().by_key("knowledge-gain"),
                                  scope, source)
        change = evaluation.figures(service.ctx.conn,
                                    catalogue().by_key("self-efficacy-change"), scope, source)
    assert gain.total == Counted(2, observation_sum=40.0)
    assert gain.strata["settlement"] == {"rural": Counted(1, observation_sum=30.0),
                                         "urban": Counted(1, observation_sum=10.0)}
    assert gain.strata["period-month"]["2026-12"] == Counted(1, observation_sum=10.0)
    assert change.total == Counted(1, observation_sum=2.0)
