"""Outcome facts: what the indicators count, read from a resource when it is written.

The write pipeline's persist step stores these rows beside the index rows
(``registry.storage.outcomes``), so an indicator is a join over facts and never parses JSON.
Each kind fills the generic columns as follows (``item`` is always the resource itself):

| kind | link | link2 | code | country | at/day | value |
| --- | --- | --- | --- | --- | --- | --- |
| session | program | hub (serviceProvider) | topic | | period.start | |
| attendance | PractitionerRole | | clinician / faculty (by type) | | session start | hours |
| role | organization | clinician / faculty / None | discipline | network-country | | |
| organization | partOf | | organization kind | address.country | | |
| site | managingOrganization | | settlement | | | |
| affiliation | spoke | hub | | | period.start | |
| program | providedBy | | topic | network-country | | |
| case | presenter role | session | first / follow-up | | date | |
| recommendation | case Composition | session | | | sent | |
| consultation | requester PractitionerRole | hub (performer) | topic | | authoredOn | |
| answer | the ServiceRequest answered | | | | sent | |
| member | PractitionerRole | program (cohort-program) | | | | |

Sessions (and their attendances) are the finished Encounters that name a program; a
recommendation is a completed Communication about a case Composition (the
``case-recommendation`` profile's shape); consultations and their answers are what the
consultation rule says they are (``registry.services.consultation``); members are the current
members of an active cohort Group (attrition). When these rules change, a migration derives
the facts again (``refresh``), as ``0009_outcome_fact_rules`` did when the last three kinds came.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from registry.services import consultation, terminology
from registry.services.sessions import attendance_minutes
from registry.storage import outcomes as store
from registry.storage.database import Connection

CS = f"{terminology.BASE}/CodeSystem"
SD = f"{terminology.BASE}/StructureDefinition"
SESSION_PROGRAM = f"{SD}/session-program"
COUNTRY = f"{SD}/network-country"
SETTLEMENT = f"{SD}/settlement"
PROGRAM_ROLE = f"{CS}/program-role"
COHORT_PROGRAM = f"{SD}/cohort-program"
TOPIC_SYSTEM = f"{CS}/program-topic"
CLINICIAN_CODES = frozenset({"mentee", "presenter"})
FACULTY_CODES = frozenset({"tutor", "facilitator", "coordinator"})
FACT_TYPES = frozenset({"Encounter", "PractitionerRole", "Organization", "Location",
                        "OrganizationAffiliation", "HealthcareService", "Composition",
                        "Communication", "ServiceRequest", "Group"})
Fact = dict[str, Any]


def facts_of(resource: dict[str, Any] | None) -> list[Fact]:
    """The fact rows of one resource version (none for a deletion or an unrelated type)."""
    if resource is None or resource.get("resourceType") not in FACT_TYPES:
        return []
    item = f"{resource['resourceType']}/{resource.get('id')}"
    return [{"item": item, **fact} for fact in _EXTRACT[resource["resourceType"]](resource)]


def has_facts(res_type: str) -> bool:
    return res_type in FACT_TYPES


def _session(res: dict[str, Any]) -> Iterable[Fact]:
    program = _ref(_extension(res, SESSION_PROGRAM, "valueReference"))
    start = _instant((res.get("period") or {}).get("start"))
    if res.get("status") != "finished" or not program or start is None:
        return []
    at, day = start
    facts: list[Fact] = [{"kind": "session", "link": program,
                          "code": _first_code(res.get("serviceType")),
                          "link2": _ref(res.get("serviceProvider")), "at": at, "day": day}]
    classes: dict[str, str | None] = {}
    for participant in res.get("participant") or []:
        role = _ref(participant.get("individual"))
        classes[role] = classes.get(role) or _participant_class(participant)
    for role, minutes in attendance_minutes(res).items():
        if not role.startswith("PractitionerRole/"):
            continue
        facts.append({"kind": "attendance", "link": role, "code": classes.get(role),
                      "at": at, "day": day, "value": minutes / 60})
    return facts


def _participant_class(participant: dict[str, Any]) -> str | None:
    codes = {c.get("code") for concept in participant.get("type") or []
             for c in concept.get("coding") or [] if c.get("system") == PROGRAM_ROLE}
    return _class_of(codes)


def _class_of(codes: set[Any]) -> str | None:
    if codes & CLINICIAN_CODES:
        return "clinician"
    if codes & FACULTY_CODES:
        return "faculty"
    return None


def _role(res: dict[str, Any]) -> Iterable[Fact]:
    codes = {c.get("code") for concept in res.get("code") or []
             for c in concept.get("coding") or [] if c.get("system") == PROGRAM_ROLE}
    discipline = next((c.get("code") for concept in res.get("specialty") or []
                       for c in concept.get("coding") or []
                       if c.get("system") == f"{CS}/discipline"), None)
    return [{"kind": "role", "link": _ref(res.get("organization")) or None,
             "link2": _class_of(codes), "code": discipline,
             "country": _extension(res, COUNTRY, "valueCode")}]


def _organization(res: dict[str, Any]) -> Iterable[Fact]:
    country = next((a.get("country") for a in res.get("address") or [] if a.get("country")),
                   None)
    kind = next((c.get("code") for concept in res.get("type") or []
                 for c in concept.get("coding") or []
                 if c.get("system") == f"{CS}/organization-kind"), None)
    return [{"kind": "organization", "link": _ref(res.get("partOf")) or None, "code": kind,
             "country": country if isinstance(country, str) and len(country) == 2 else None}]


def _site(res: dict[str, Any]) -> Iterable[Fact]:
    settlement = _extension(res, SETTLEMENT, "valueCoding") or {}
    spoke = _ref(res.get("managingOrganization"))
    if not spoke or not settlement.get("code"):
        return []
    return [{"kind": "site", "link": spoke, "code": settlement["code"]}]


def _affiliation(res: dict[str, Any]) -> Iterable[Fact]:
    start = _instant((res.get("period") or {}).get("start"))
    spoke = _ref(res.get("participatingOrganization"))
    if not spoke:
        return []
    at, day = start if start else (None, None)
    return [{"kind": "affiliation", "link": spoke, "link2": _ref(res.get("organization")) or None,
             "at": at, "day": day}]


def _program(res: dict[str, Any]) -> Iterable[Fact]:
    return [{"kind": "program", "link": _ref(res.get("providedBy")) or None,
             "code": _first_code(res.get("type")),
             "country": _extension(res, COUNTRY, "valueCode")}]


def _case(res: dict[str, Any]) -> Iterable[Fact]:
    """A case presentation; its day is its session's (de-identification keeps only the year
    of ``date``), so ``at`` is set only when the date is a full one."""
    when = _instant(res.get("date")) or (None, None)
    follow_up = any(_ref(r.get("targetReference")).startswith("Composition/")
                    for r in res.get("relatesTo") or [])
    authors = res.get("author") or [{}]
    return [{"kind": "case", "link": _ref(authors[0]) or None,
             "link2": _ref(res.get("encounter")) or None,
             "code": "follow-up" if follow_up else "first", "at": when[0], "day": when[1]}]


def _recommendation(res: dict[str, Any]) -> Iterable[Fact]:
    """A completed Communication about a case Composition; dated by ``sent`` (else by when
    it was stored)."""
    sent = _instant(res.get("sent")) or _instant((res.get("meta") or {}).get("lastUpdated"))
    about = next((_ref(a) for a in res.get("about") or []
                  if _ref(a).startswith("Composition/")), "")
    if res.get("status") != "completed" or not about or sent is None:
        return []
    return [{"kind": "recommendation", "link": about,
             "link2": _ref(res.get("encounter")) or None, "at": sent[0], "day": sent[1]}]


def _communication(res: dict[str, Any]) -> Iterable[Fact]:
    """A recommendation about a case, an answer to a consultation, or both."""
    facts = list(_recommendation(res))
    sent = _instant(res.get("sent"))
    if sent is not None:
        facts += [{"kind": "answer", "link": ref, "at": sent[0], "day": sent[1]}
                  for ref in consultation.answered_requests(res)]
    return facts


def _consultation(res: dict[str, Any]) -> Iterable[Fact]:
    """A consultation asked of a hub, dated by ``authoredOn``."""
    asked = _instant(res.get("authoredOn"))
    if not consultation.is_consultation(res) or asked is None:
        return []
    hub = next((ref for p in res.get("performer") or []
                if (ref := _ref(p)).startswith("Organization/")), None)
    topic = next((c.get("code") for c in (res.get("code") or {}).get("coding") or []
                  if c.get("system") == TOPIC_SYSTEM), None)
    return [{"kind": "consultation", "link": _ref(res.get("requester")) or None, "link2": hub,
             "code": topic, "at": asked[0], "day": asked[1]}]


def _cohort(res: dict[str, Any]) -> Iterable[Fact]:
    """The current members of an active cohort (a Group naming its program)."""
    program = _ref(_extension(res, COHORT_PROGRAM, "valueReference"))
    if not program or res.get("active") is False:
        return []
    roles = {_ref(m.get("entity")) for m in res.get("member") or [] if not m.get("inactive")}
    return [{"kind": "member", "link": role, "link2": program}
            for role in sorted(roles) if role.startswith("PractitionerRole/")]


_EXTRACT = {
    "Encounter": _session, "PractitionerRole": _role, "Organization": _organization,
    "Location": _site, "OrganizationAffiliation": _affiliation, "HealthcareService": _program,
    "Composition": _case, "Communication": _communication, "ServiceRequest": _consultation,
    "Group": _cohort,
}


def _ref(value: Any) -> str:
    """A literal relative reference, or '' (absolute and logical references are not facts)."""
    if not isinstance(value, dict):
        return ""
    ref = value.get("reference")
    return ref if isinstance(ref, str) and "://" not in ref and "/" in ref else ""


def _extension(res: dict[str, Any], url: str, key: str) -> Any:
    return next((e.get(key) for e in res.get("extension") or [] if e.get("url") == url), None)


def _first_code(concepts: Any) -> str | None:
    if isinstance(concepts, dict):
        concepts = [concepts]
    for concept in concepts or []:
        for coding in concept.get("coding") or []:
            if coding.get("code"):
                return str(coding["code"])
    return None


def _instant(value: Any) -> tuple[int, str] | None:
    """(microseconds since the epoch, UTC date) of a FHIR date or dateTime; a bare date is
    its first moment in UTC."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    micros = int(moment.timestamp() * 1_000_000)
    return micros, moment.date().isoformat()


def refresh(conn: Connection, types: Iterable[str] = FACT_TYPES) -> int:
    """Derive the facts of every current resource of ``types`` again (a database that held
    resources before these fact rules); returns how many resources have facts."""
    rows = store.current_of_types(conn, sorted(set(types) & FACT_TYPES))
    found = [(pk, facts_of(orjson.loads(content)), True) for pk, content in rows if content]
    store.store_facts(conn, found)
    return sum(1 for _, facts, _ in found if facts)
