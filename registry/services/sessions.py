"""Session Encounters: what a session is made of, and participant-hours computed exactly.

A session is an Encounter of class VR checked against the ``telementoring-session`` profile.
Attendance lives in ``Encounter.participant``: one entry per individual *and interval*, so a
mentee who dropped out and rejoined has two entries with two periods. Counting entries or
adding raw durations would count the overlap twice when someone is connected from two devices;
``participant_hours`` merges the intervals of each individual first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from registry.errors import InvalidRequest, NotFound, Unprocessable, error

BASE = "https://telementoring.example.org/fhir"
SESSION_PROGRAM = f"{BASE}/StructureDefinition/session-program"
PROGRAM_ROLE = f"{BASE}/CodeSystem/program-role"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


@dataclass(frozen=True)
class Span:
    """One attendance interval of one individual, in UTC."""

    individual: str
    start: datetime
    end: datetime


def parse_instant(text: str) -> datetime:
    """A FHIR dateTime with a time part as an aware UTC datetime (naive ones are read as UTC)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def format_instant(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def spans(session: dict[str, Any]) -> list[Span]:
    """The attendance intervals of a session: participant entries with a complete period."""
    found = []
    for entry in session.get("participant") or []:
        ref = (entry.get("individual") or {}).get("reference")
        period = entry.get("period") or {}
        if ref and period.get("start") and period.get("end"):
            start, end = parse_instant(period["start"]), parse_instant(period["end"])
            if end > start:
                found.append(Span(ref, start, end))
    return found


def merge_intervals(intervals: Iterable[tuple[datetime, datetime]]
                    ) -> list[tuple[datetime, datetime]]:
    """Overlapping or touching intervals joined, sorted by start."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def attendance_minutes(session: dict[str, Any]) -> dict[str, float]:
    """Minutes each individual was present, overlaps of the same individual counted once."""
    by_person: dict[str, list[tuple[datetime, datetime]]] = {}
    for span in spans(session):
        by_person.setdefault(span.individual, []).append((span.start, span.end))
    return {ref: sum((e - s).total_seconds() for s, e in merge_intervals(items)) / 60
            for ref, items in by_person.items()}


def participant_hours(session: dict[str, Any]) -> float:
    """Exact participant-hours of a session: per individual, merged intervals, summed."""
    return sum(attendance_minutes(session).values()) / 60


def check_session(session: dict[str, Any] | None, reference: str) -> dict[str, Any]:
    """``session`` if it is a session Encounter, else a 4xx naming ``reference``."""
    if session is None:
        raise NotFound(f"Session {reference} is not known")
    if session.get("resourceType") != "Encounter" or not any(
            e.get("url") == SESSION_PROGRAM for e in session.get("extension") or []):
        raise Unprocessable([error("business-rule", f"{reference} is not a session Encounter "
                                   "(it has no session-program extension)")])
    return session


def session_reference(text: str) -> str:
    """``Encounter/ID`` from user input such as ``Encounter/ID`` or a full URL."""
    tail = text.rstrip("/").split("/")
    if len(tail) < 2 or tail[-2] != "Encounter" or not tail[-1]:
        raise InvalidRequest(f"A session is given as Encounter/ID, got {text!r}")
    return f"Encounter/{tail[-1]}"


def session_date(session: dict[str, Any]) -> date | None:
    """The day the session started (UTC), used as the presentation date of its cases."""
    start = (session.get("period") or {}).get("start")
    if not isinstance(start, str):
        return None
    if len(start) == 10:
        return date.fromisoformat(start)
    return parse_instant(start).date()


def role_type(code: str) -> dict[str, Any]:
    """The participant ``type`` for a program role (tutor, facilitator, mentee, presenter)."""
    return {"coding": [{"system": PROGRAM_ROLE, "code": code}]}
