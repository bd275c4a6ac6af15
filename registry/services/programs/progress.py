"""A cohort's progress against its plan (``Group/[id]/$progress``).

Sessions held (``finished``) against those planned, the plan's topics covered by a held session,
each member's attendance (sessions attended and minutes present, overlapping connections of one
person counted once: ``registry.services.sessions``), and the members at risk of dropping out:
those who attended none of the cohort's last ``missed`` held sessions (3 unless asked).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from registry.errors import InvalidRequest
from registry.services.fhir import FhirService
from registry.services.programs.model import members, read_cohort, search_all
from registry.services.programs.plan import cohort_plan, topics_of
from registry.services.sessions import attendance_minutes, parse_instant

DEFAULT_MISSED = 3


@dataclass(frozen=True)
class Attendance:
    member: str
    attended: int
    minutes: float
    missed_recent: int


def held_and_planned(sessions: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Held sessions in time order, and how many are planned (held or not, cancelled aside)."""
    live = [s for s in sessions if s.get("status") != "cancelled"]
    held = sorted((s for s in live if s.get("status") == "finished"), key=_start)
    return held, len(live)


def attendance(cohort: list[str], held: list[dict[str, Any]], missed: int) -> list[Attendance]:
    """Each member's attendance of the held sessions, and how many of the last ``missed`` they
    did not attend."""
    present = [attendance_minutes(s) for s in held]
    recent = present[-missed:] if missed else []
    return [Attendance(m, sum(1 for p in present if p.get(m)),
                       round(sum(p.get(m, 0.0) for p in present), 1),
                       sum(1 for p in recent if not p.get(m))) for m in cohort]


def progress(service: FhirService, group_id: str, params: Mapping[str, list[str]]
             ) -> dict[str, Any]:
    """A Parameters resource with every figure of the cohort's progress."""
    missed = _missed(params)
    group = read_cohort(service, group_id)
    sessions = list(search_all(service, "Encounter", {"cohort": [f"Group/{group_id}"]}))
    held, planned = held_and_planned(sessions)
    plan = cohort_plan(service, group_id)
    topics = [t for t in topics_of(plan) if not t.dropped] if plan else []
    covered = {(c.get("system"), c.get("code")) for s in held
               for concept in s.get("type") or [] for c in concept.get("coding") or []}
    rows = attendance(members(group), held, missed)
    at_risk = [r for r in rows if len(held) >= missed and r.missed_recent == missed]
    parameters: list[dict[str, Any]] = [
        {"name": "cohort", "valueReference": {"reference": f"Group/{group_id}"}},
        {"name": "sessions-planned", "valueInteger": planned},
        {"name": "sessions-held", "valueInteger": len(held)},
        {"name": "topics-planned", "valueInteger": len(topics)},
        {"name": "topics-covered", "valueInteger":
            sum(1 for t in topics if (t.system, t.code) in covered)},
        *({"name": "topic", "part": [
            {"name": "topic", "valueCoding": {"system": t.system, "code": t.code,
                                              "display": t.title}},
            {"name": "covered", "valueBoolean": (t.system, t.code) in covered}]}
          for t in topics),
        *({"name": "attendance", "part": [
            {"name": "member", "valueReference": {"reference": r.member}},
            {"name": "sessions-attended", "valueInteger": r.attended},
            {"name": "minutes", "valueDecimal": r.minutes},
            {"name": "at-risk", "valueBoolean": r in at_risk}]} for r in rows),
        {"name": "missed-threshold", "valueInteger": missed},
        *({"name": "at-risk", "valueReference": {"reference": r.member}} for r in at_risk)]
    return {"resourceType": "Parameters", "parameter": parameters}


def _missed(params: Mapping[str, list[str]]) -> int:
    values = params.get("missed") or [str(DEFAULT_MISSED)]
    if len(values) != 1 or not values[0].isdigit() or not 1 <= int(values[0]) <= 52:
        raise InvalidRequest("missed must be one whole number of sessions from 1 to 52",
                             "missed")
    return int(values[0])


def _start(session: dict[str, Any]) -> datetime:
    start = (session.get("period") or {}).get("start")
    return parse_instant(start) if isinstance(start, str) else datetime.min.replace(tzinfo=UTC)
