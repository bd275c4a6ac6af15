"""Outcome demo data on top of the loaded demo network: a year of sessions with attendance,
case presentations (some follow-ups) and recommendations, so every fact-based indicator has
figures and some cells are small enough to be masked; then each period evaluated and released.

Deterministic per seed. Sessions and recommendations have fixed ids and are loaded by id
(idempotent); cases go through the case pipeline (de-identified), so a second run finds the
sessions in place and adds nothing. (Beside the ``outcomes`` package rather than in it: it
writes through the FHIR service, which the write path's outcome facts sit beneath.)
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from registry.services import demo
from registry.services.cases.submission import submit_case
from registry.services.fhir import FhirService
from registry.services.loading import LoadReport, load_batch
from registry.services.outcomes.service import OutcomesService
from registry.services.sessions import PROGRAM_ROLE, SESSION_PROGRAM

XHTML = 'xmlns="http://www.w3.org/1999/xhtml"'
QUESTIONS = ("Should the dose be adjusted given the new symptoms?",
             "Is referral needed, or can the clinic continue the current plan?",
             "Which monitoring schedule do you recommend for the next weeks?")


@dataclass(frozen=True)
class DemoOutcomes:
    sessions: int
    cases: int
    recommendations: int


def demo_outcomes(service: FhirService, *, seed: int = 2026, scale: float = 1.0,
                  year: int = 2025, programs: int = 12) -> DemoOutcomes:
    """Add a year of activity for ``programs`` demo programs (in the caller's transaction)."""
    rosters, presenters = _rosters(seed, scale)
    chosen = rosters[:programs]
    sessions = list(_sessions(random.Random(seed), chosen, year))
    if not sessions or service.ctx.resources.current("Encounter", [sessions[0]["id"]]):
        return DemoOutcomes(0, 0, 0)  # nothing to add, or added before
    load_batch(service, sessions, LoadReport())
    rng = random.Random(seed + 1)
    cases = recommendations = 0
    earlier: dict[str, str] = {}  # presenter -> their last Composition
    extra: list[dict[str, Any]] = []
    for session in sessions:
        present = [p["individual"]["reference"] for p in session["participant"]
                   if p["individual"]["reference"] in presenters]
        if not present or rng.random() > 0.45:
            continue
        returning = [p for p in present if p in earlier]
        presenter = rng.choice(returning if returning and rng.random() < 0.5 else present)
        follow_up = earlier.get(presenter)
        composition = _present(service, session, presenter, follow_up, rng)
        earlier[presenter] = composition
        cases += 1
        if rng.random() < 0.85:
            host = session["participant"][0]["individual"]["reference"]
            extra.append(_recommendation(session, composition, host, presenter, rng))
            recommendations += 1
    load_batch(service, extra, LoadReport())
    return DemoOutcomes(len(sessions), cases, recommendations)


def demo_periods(year: int = 2025) -> list[str]:
    """The periods the demo evaluates and releases: the year, then its quarters (each its
    own unit of work: ``evaluate_and_release``)."""
    return [f"{year}", *(f"{year}-Q{q}" for q in range(1, 5))]


def evaluate_and_release(outcomes: OutcomesService, period: str) -> None:
    outcomes.evaluate(period)
    outcomes.release(period)


def _rosters(seed: int, scale: float) -> tuple[list[demo.Roster], frozenset[str]]:
    network = list(demo.generate_network(seed=seed, scale=scale))
    presenters = frozenset(
        f"PractitionerRole/{r['id']}" for r in network
        if r["resourceType"] == "PractitionerRole" and r.get("active", True)
        and any(c.get("code") == "presenter" for cc in r.get("code", [])
                for c in cc.get("coding", [])))
    return demo.rosters(network), presenters


def _sessions(rng: random.Random, rosters: list[demo.Roster], year: int
              ) -> Iterator[dict[str, Any]]:
    for n, roster in enumerate(rosters):
        for month in range(1, 13):
            first = date(year, month, 1)
            day = first + timedelta(days=(roster.weekday - first.weekday()) % 7 + 7)
            yield _session(rng, roster, day, f"demo-outcome-session-{n:03d}-{month:02d}")


def _session(rng: random.Random, roster: demo.Roster, day: date, rid: str) -> dict[str, Any]:
    def at(minute: int) -> str:
        return f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00{roster.utc_offset}"

    people = [_participant("tutor", at(roster.start), at(roster.end), ref)
              for ref in rng.sample(roster.hosts, min(len(roster.hosts), rng.randint(1, 2)))]
    for ref in rng.sample(roster.attendees, min(len(roster.attendees), rng.randint(2, 9))):
        join = roster.start + rng.randint(0, 15)
        leave = max(join + 10, roster.end - rng.randint(0, 25))
        people.append(_participant("mentee", at(join), at(leave), ref))
    return {
        "resourceType": "Encounter", "id": rid, "meta": {"tag": [dict(demo.DEMO_TAG)]},
        "extension": [{"url": SESSION_PROGRAM, "valueReference": {"reference": roster.program}}],
        "status": "finished", "class": dict(demo.VIRTUAL),
        "serviceType": {"coding": [dict(c) for c in roster.topic.get("coding", [])]},
        "participant": people, "period": {"start": at(roster.start), "end": at(roster.end)},
        "serviceProvider": {"reference": roster.provider}}


def _participant(code: str, start: str, end: str, ref: str) -> dict[str, Any]:
    return {"type": [{"coding": [{"system": PROGRAM_ROLE, "code": code}]}],
            "period": {"start": start, "end": end}, "individual": {"reference": ref}}


def _present(service: FhirService, session: dict[str, Any], presenter: str,
             follow_up: str | None, rng: random.Random) -> str:
    composition: dict[str, Any] = {
        "resourceType": "Composition", "status": "final", "title": "Case presentation (demo)",
        "type": {"coding": [{"system": "http://loinc.org", "code": "11488-4"}]},
        "date": session["period"]["start"][:10], "subject": {"reference": "urn:uuid:patient"},
        "author": [{"reference": presenter}],
        "encounter": {"reference": f"Encounter/{session['id']}"},
        "section": [{"title": "Question", "text": {
            "status": "generated", "div": f"<div {XHTML}><p>{rng.choice(QUESTIONS)}</p></div>"}}]}
    if follow_up:
        composition["relatesTo"] = [{"code": "appends",
                                     "targetReference": {"reference": follow_up}}]
    bundle = {"resourceType": "Bundle", "type": "document", "entry": [
        {"fullUrl": f"urn:uuid:{_uuid(rng)}", "resource": composition},
        {"fullUrl": "urn:uuid:patient", "resource": {
            "resourceType": "Patient", "gender": rng.choice(["female", "male"])}}]}
    return submit_case(service, bundle).composition


def _recommendation(session: dict[str, Any], composition: str, host: str, presenter: str,
                    rng: random.Random) -> dict[str, Any]:
    start = date.fromisoformat(session["period"]["start"][:10])
    sent = start + timedelta(days=rng.randint(0, 9))
    return {"resourceType": "Communication", "id": f"demo-rec-{composition.split('/')[1]}",
            "meta": {"tag": [dict(demo.DEMO_TAG)]}, "status": "completed",
            "sent": f"{sent.isoformat()}T15:00:00Z", "about": [{"reference": composition}],
            "encounter": {"reference": f"Encounter/{session['id']}"},
            "sender": {"reference": host}, "recipient": [{"reference": presenter}],
            "payload": [{"contentString": "Continue the plan; review in four weeks."}]}


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
