"""A cohort's series of planned sessions from a recurrence rule (``Group/[id]/$schedule``).

The coordinator gives the first session's local start, the IANA time zone, an RFC 5545 RRULE
(weekly, fortnightly with ``INTERVAL=2``, monthly) and the length of a session. The rule is
expanded in local wall time by python-dateutil, so a session stays at 14:00 across a daylight
saving change; days that are public holidays of the program's country (the ``holidays``
library) or that the coordinator names are skipped. Each remaining occurrence becomes a session
Encounter with status ``planned`` naming the program and the cohort, its didactic topic taken
in order from the cohort's work plan (the CarePlan's topics still to cover), and all of them
are written in one transaction: a bad rule or a clash with a session already planned for the
cohort writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from dateutil.rrule import rrulestr

from registry.errors import Conflict, InvalidRequest
from registry.services.fhir import FhirService
from registry.services.programs.model import (
    SESSION_COHORT,
    SESSION_PROGRAM,
    cohort_program,
    local_id,
    read_cohort,
    search_all,
)
from registry.services.programs.plan import planned_topics
from registry.services.sessions import parse_instant
from registry.services.writes.pending import PendingWrite, new_id

MAX_SESSIONS = 200  # one request plans at most this many sessions
VIRTUAL = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR",
           "display": "virtual"}
COUNTRY_EXT = "https://telementoring.example.org/fhir/StructureDefinition/network-country"


@dataclass(frozen=True)
class Recurrence:
    """What ``$schedule`` was asked for, checked."""

    rule: str
    start: datetime  # local wall time, aware (in ``zone``)
    zone: ZoneInfo
    minutes: int
    skip_holidays: bool = True
    extra_holidays: frozenset[date] = field(default_factory=frozenset)


def parse_recurrence(params: Mapping[str, list[str]]) -> Recurrence:
    """A ``Recurrence`` from operation parameters (every name may repeat only as ``holiday``)."""
    rule = _one(params, "rrule")
    zone = _zone(_one(params, "timezone"))
    try:
        start = datetime.fromisoformat(_one(params, "start"))
    except ValueError:
        raise InvalidRequest("start must be a local date and time such as 2027-02-03T14:00:00",
                             "start") from None
    if start.tzinfo is not None:
        raise InvalidRequest("start is a local wall time: give it without an offset, and the "
                             "zone in timezone", "start")
    minutes = _int(_one(params, "duration", "90"), "duration")
    if not 5 <= minutes <= 24 * 60:
        raise InvalidRequest("duration must be between 5 and 1440 minutes", "duration")
    skip = _one(params, "skipHolidays", "true").lower()
    if skip not in ("true", "false"):
        raise InvalidRequest("skipHolidays must be true or false", "skipHolidays")
    extra = frozenset(_date(text) for text in params.get("holiday", []))
    return Recurrence(rule, start.replace(tzinfo=zone), zone, minutes, skip == "true", extra)


def occurrences(recurrence: Recurrence, country: str | None) -> list[datetime]:
    """The local starts the rule gives, holidays left out; 400 for a bad or unbounded rule."""
    try:
        rule = rrulestr(recurrence.rule.removeprefix("RRULE:"), dtstart=recurrence.start)
    except (ValueError, TypeError) as exc:
        raise InvalidRequest(f"rrule is not an RFC 5545 recurrence rule: {exc}", "rrule") from None
    starts: list[datetime] = []
    for when in rule:
        if len(starts) > MAX_SESSIONS:
            raise InvalidRequest(f"The rule gives more than {MAX_SESSIONS} sessions; bound it "
                                 "with COUNT or UNTIL", "rrule")
        starts.append(when)
    skipped = _holidays(recurrence, country, {s.year for s in starts})
    return [s for s in starts if s.date() not in skipped]


def _holidays(recurrence: Recurrence, country: str | None, years: Iterable[int]) -> set[date]:
    days = set(recurrence.extra_holidays)
    if recurrence.skip_holidays and country and country in holidays.list_supported_countries():
        days.update(holidays.country_holidays(country, years=sorted(years)))
    return days


def schedule(service: FhirService, group_id: str, params: Mapping[str, list[str]]
             ) -> dict[str, Any]:
    """Plan the cohort's sessions; a collection Bundle of the sessions created."""
    recurrence = parse_recurrence(params)
    group = read_cohort(service, group_id)
    program_ref = cohort_program(group)
    program = service.read("HealthcareService", local_id(program_ref, "HealthcareService"))
    program_body = program.resource()
    starts = occurrences(recurrence, program_country(program_body))
    if not starts:
        raise InvalidRequest("The rule gives no session outside holidays", "rrule")
    _refuse_clashes(service, group_id, starts)
    topics = planned_topics(service, group_id)
    bodies = [session_body(program_ref, program_body, group_id, start, recurrence.minutes,
                       topics[i] if i < len(topics) else None)
              for i, start in enumerate(starts)]
    writes = []
    for body in bodies:
        service.pipeline.prepare(body, "Encounter")
        writes.append(PendingWrite("Encounter", new_id(), body, "POST", fresh=True,
                                   prepared=True))
    result = service.write(writes)
    return {"resourceType": "Bundle", "type": "collection", "total": len(result.stored),
            "entry": [{"fullUrl": f"{service.ctx.base_url}/{s.reference}",
                       "resource": s.resource()} for s in result.stored]}


def _refuse_clashes(service: FhirService, group_id: str, starts: list[datetime]) -> None:
    """409 when a session of this cohort already starts at one of the new starts."""
    wanted = {s.astimezone(UTC) for s in starts}
    for session in search_all(service, "Encounter", {"cohort": [f"Group/{group_id}"]}):
        begun = (session.get("period") or {}).get("start")
        if session.get("status") != "cancelled" and isinstance(begun, str) and len(begun) > 10 \
                and parse_instant(begun) in wanted:
            raise Conflict(f"Encounter/{session['id']} already starts at {begun} for this "
                           "cohort; nothing was scheduled")


def session_body(program_ref: str, program: dict[str, Any], group_id: str, start: datetime,
             minutes: int, topic: dict[str, Any] | None) -> dict[str, Any]:
    end = start + timedelta(minutes=minutes)
    body: dict[str, Any] = {
        "resourceType": "Encounter", "status": "planned", "class": dict(VIRTUAL),
        "extension": [{"url": SESSION_PROGRAM, "valueReference": {"reference": program_ref}},
                      {"url": SESSION_COHORT,
                       "valueReference": {"reference": f"Group/{group_id}"}}],
        "serviceType": {"coding": [dict(c) for c in (program.get("type") or [{}])[0]
                                   .get("coding", [])]},
        "period": {"start": start.isoformat(), "end": end.isoformat()}}
    provider = (program.get("providedBy") or {}).get("reference")
    if provider:
        body["serviceProvider"] = {"reference": provider}
    if topic is not None:
        body["type"] = [topic]
    return body


def program_country(program: dict[str, Any]) -> str | None:
    for ext in program.get("extension") or []:
        if ext.get("url") == COUNTRY_EXT and isinstance(ext.get("valueCode"), str):
            return str(ext["valueCode"]).upper()
    return None


def _one(params: Mapping[str, list[str]], name: str, default: str | None = None) -> str:
    values = params.get(name) or ([] if default is None else [default])
    if len(values) != 1 or not values[0].strip():
        raise InvalidRequest(f"$schedule needs exactly one {name}", name)
    return values[0].strip()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(f"timezone {name!r} is not an IANA time zone", "timezone") from None


def _int(text: str, name: str) -> int:
    if not text.isdigit():
        raise InvalidRequest(f"{name} must be a whole number", name)
    return int(text)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"holiday must be a date (YYYY-MM-DD), got {text!r}",
                             "holiday") from None


