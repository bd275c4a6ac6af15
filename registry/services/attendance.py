"""Attendance import: a Zoom or Teams participant report into a session's participants.

The adapter (``adapters.attendance``) has already folded rejoins and duplicate rows into one
attendee with merged UTC intervals; this service decides *who* each attendee is and records
them on the session Encounter, in one ``persist`` call so a failure writes nothing:

- an attendee is matched to a Practitioner by e-mail (``Practitioner?email=``), then by the
  attendance key of a mentee an earlier import created (``identifier`` in ``ATTENDEE_SYSTEM``:
  spoke and folded display name), so imports without e-mail are idempotent too;
- the participant is the practitioner's PractitionerRole (one serving the session's program,
  else at the stated spoke, else the first) with its program-role code as the type; a
  practitioner without a role takes part as themself, typed mentee;
- unknown attendees become mentees of their stated spoke (found in the directory by exact
  name) when ``create_unknown`` is set; otherwise, or when no spoke matches, they are reported;
- two attendees resolving to the same individual are merged (intervals joined again);
- the import replaces the attendance entries (those with a period) of the individuals it
  names and keeps everyone else's and the planned faculty's; an import that changes nothing
  writes nothing;
- a report none of whose times fall on the session's day (in the report's zone) is refused
  unless ``other_day`` says it belongs there anyway: a wrong ``--session`` is the usual cause.

The zone of a report without offsets is the caller's; failing that, the one the session's hub
states with the core ``timezone`` extension on its Organization (``hub_time_zone``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from adapters.attendance import AttendanceReport, Attendee
from registry.errors import Unprocessable, error
from registry.services.fhir import FhirService
from registry.services.sessions import (
    BASE,
    check_session,
    format_instant,
    merge_intervals,
    parse_instant,
    role_type,
)
from registry.services.writes.pending import PendingWrite, new_id

ATTENDEE_SYSTEM = f"{BASE}/sid/attendance-name"
SPOKE_KIND = f"{BASE}/CodeSystem/organization-kind|spoke"
DISCIPLINE = f"{BASE}/CodeSystem/discipline"
COUNTRY_EXT = f"{BASE}/StructureDefinition/network-country"
TIMEZONE_EXT = "http://hl7.org/fhir/StructureDefinition/timezone"


@dataclass
class AttendeeOutcome:
    """What became of one attendee of the report."""

    name: str
    email: str | None
    status: str  # matched | created | unmatched
    minutes: float
    individual: str | None = None
    reason: str = ""


@dataclass
class ImportSummary:
    session: str
    source_format: str
    attendees: list[AttendeeOutcome]
    written: bool = False

    def of(self, status: str) -> list[AttendeeOutcome]:
        return [a for a in self.attendees if a.status == status]

    @property
    def minutes(self) -> float:
        """Attendee-minutes recorded on the session by this import."""
        return sum(a.minutes for a in self.attendees if a.status != "unmatched")

    def lines(self) -> list[str]:
        out = [f"{self.session}: {self.source_format} report, {len(self.attendees)} attendees"]
        for a in self.attendees:
            who = f"{a.name} <{a.email}>" if a.email else a.name
            where = f" -> {a.individual}" if a.individual else f": {a.reason}"
            out.append(f"{a.status:<9} {who}{where} ({a.minutes:.1f} min)")
        out.append(f"{len(self.of('matched'))} matched, {len(self.of('created'))} created, "
                   f"{len(self.of('unmatched'))} unmatched; {self.minutes:.1f} attendee-minutes "
                   f"recorded" + ("" if self.written else "; session unchanged"))
        return out


@dataclass
class _Plan:
    """The writes and participant entries an import builds up before persisting."""

    creates: list[PendingWrite] = field(default_factory=list)
    spans: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)


def import_attendance(service: FhirService, report: AttendanceReport, session_ref: str, *,
                      create_unknown: bool = False, discipline: str = "primary-care",
                      zone: tzinfo = UTC, other_day: bool = False) -> ImportSummary:
    """Record ``report`` on the session; the caller owns (and commits) the transaction.

    ``zone`` is the report's zone, in which its days are compared with the session's."""
    resources = service.ctx.resources
    session = check_session(resources.resolve(session_ref), session_ref)
    if not other_day:
        _check_day(session_ref, session, report, zone)
    program = _program(session)
    plan, outcomes = _Plan(), []
    for attendee in report.attendees:
        outcome = _identify(service, attendee, program, plan, create_unknown, discipline)
        outcomes.append(outcome)
        if outcome.individual:
            plan.spans.setdefault(outcome.individual, []).extend(
                (i.start, i.end) for i in attendee.intervals)
    summary = ImportSummary(session_ref, report.source_format, outcomes)
    updated = _with_attendance(session, plan)
    if updated.get("participant") != session.get("participant") or plan.creates:
        res_id = session_ref.split("/", 1)[1]
        service.pipeline.prepare(updated, "Encounter")
        service.write([*plan.creates, PendingWrite("Encounter", res_id, updated, "PUT",
                                                   prepared=True)])
        summary.written = True
    return summary


def hub_time_zone(service: FhirService, session_ref: str) -> str | None:
    """The IANA zone the session's hub states on its Organization, if it states one."""
    resources = service.ctx.resources
    session = check_session(resources.resolve(session_ref), session_ref)
    program = _program(session)
    offered = resources.resolve(program) if program else None
    hub_ref = ((offered or {}).get("providedBy") or {}).get("reference")
    hub = resources.resolve(hub_ref) if isinstance(hub_ref, str) else None
    return next((str(e["valueCode"]) for e in (hub or {}).get("extension") or []
                 if e.get("url") == TIMEZONE_EXT and e.get("valueCode")), None)


def _check_day(session_ref: str, session: dict[str, Any], report: AttendanceReport,
               zone: tzinfo) -> None:
    period = session.get("period") or {}
    days = {_day(period[k], zone) for k in ("start", "end") if isinstance(period.get(k), str)}
    seen = {m.astimezone(zone).date() for a in report.attendees for i in a.intervals
            for m in (i.start, i.end)}
    if not days or days & seen:
        return
    raise Unprocessable([error(
        "business-rule", f"the report is of {', '.join(str(d) for d in sorted(seen))} but "
        f"{session_ref} took place on {', '.join(str(d) for d in sorted(days))}; check the "
        "session, or record it anyway as another day's report (--other-day)")])


def _day(value: str, zone: tzinfo) -> date:
    return date.fromisoformat(value) if len(value) == 10 else \
        parse_instant(value).astimezone(zone).date()


def _program(session: dict[str, Any]) -> str | None:
    for extension in session.get("extension") or []:
        if extension.get("url", "").endswith("/session-program"):
            return (extension.get("valueReference") or {}).get("reference")
    return None


# ---- who is this attendee? ----------------------------------------------------------------


def _identify(service: FhirService, attendee: Attendee, program: str | None, plan: _Plan,
              create_unknown: bool, discipline: str) -> AttendeeOutcome:
    outcome = AttendeeOutcome(attendee.display_name, attendee.email, "matched", attendee.minutes)
    spoke = _spoke_named(service, attendee.stated_spoke) if attendee.stated_spoke else None
    key = _key(spoke["id"], attendee) if spoke else None
    person = (_by_email(service, attendee.email, attendee.display_name)
              or (_by_key(service, key) if key else None))
    if person is None:
        already = _created_in_this_import(plan, key)
        if already:
            outcome.individual = already
            outcome.status = "created"
            return outcome
    if person is not None:
        outcome.individual, code = _participant_for(service, person, program, spoke)
        plan.types.setdefault(outcome.individual, code)
        return outcome
    outcome.status = "unmatched"
    if not create_unknown:
        outcome.reason = (f"no practitioner with e-mail {attendee.email}" if attendee.email
                          else "no e-mail in the report")
    elif spoke is None:
        outcome.reason = (f"no spoke named {attendee.stated_spoke!r} in the directory"
                          if attendee.stated_spoke else "no e-mail and no spoke in the report")
    else:
        outcome.status = "created"
        outcome.individual = _create_mentee(service, attendee, spoke, discipline, plan)
    return outcome


def _by_email(service: FhirService, email: str | None, name: str) -> str | None:
    """The practitioner with this e-mail. The index keeps an address's case as written, so
    after the exact look-up, practitioners sharing the display name's last word are compared
    case-insensitively (``Ana.Perez@`` in the directory, ``ana.perez@`` in the report)."""
    if not email:
        return None
    exact = _single(service, "Practitioner", {"email": [email]})
    if exact or not name.split():
        return exact
    _, result = service.search("Practitioner", {"name": [name.split()[-1]], "_count": ["50"]})
    found = sorted(s.res_id for s in result.matches if email.casefold() in {
        str(t.get("value", "")).casefold() for t in s.resource().get("telecom") or []
        if t.get("system") == "email"})
    return f"Practitioner/{found[0]}" if found else None


def _by_key(service: FhirService, key: str) -> str | None:
    return _single(service, "Practitioner", {"identifier": [f"{ATTENDEE_SYSTEM}|{key}"]})


def _single(service: FhirService, res_type: str, params: dict[str, list[str]]) -> str | None:
    """The first match by id (deterministic), as ``Type/id``."""
    _, result = service.search(res_type, {**params, "_count": ["50"]})
    ids = sorted(s.res_id for s in result.matches)
    return f"{res_type}/{ids[0]}" if ids else None


def fold(text: str) -> str:
    """Case-, accent- and space-insensitive form of a name, for exact comparison."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _key(spoke_id: str, attendee: Attendee) -> str:
    """The attendance key of a created mentee: their spoke's id and folded display name."""
    return f"{spoke_id}:{fold(attendee.display_name)}"


def _spoke_named(service: FhirService, name: str) -> dict[str, Any] | None:
    """The spoke Organization whose name is exactly ``name`` (folded), from the directory."""
    _, result = service.search("Organization", {"name": [name], "type": [SPOKE_KIND],
                                                "_count": ["50"]})
    found = sorted((s for s in result.matches if fold(s.resource().get("name", "")) ==
                    fold(name)), key=lambda s: s.res_id)
    return found[0].resource() if found else None


def _participant_for(service: FhirService, person: str, program: str | None,
                     spoke: dict[str, Any] | None) -> tuple[str, str]:
    """The PractitionerRole that attended and its program-role code (or the Practitioner)."""
    _, result = service.search("PractitionerRole", {"practitioner": [person],
                                                    "active": ["true"], "_count": ["50"]})
    roles = sorted(result.matches, key=lambda s: s.res_id)
    if not roles:
        return person, "mentee"
    spoke_ref = f"Organization/{spoke['id']}" if spoke else None

    def rank(resource: dict[str, Any]) -> int:
        services = [s.get("reference") for s in resource.get("healthcareService") or []]
        if program and program in services:
            return 0
        return 1 if (resource.get("organization") or {}).get("reference") == spoke_ref else 2
    best = min((s.resource() for s in roles), key=rank)
    return f"PractitionerRole/{best['id']}", _role_code(best)


def _role_code(role: dict[str, Any]) -> str:
    for concept in role.get("code") or []:
        for coding in concept.get("coding") or []:
            if coding.get("system", "").endswith("/program-role") and coding.get("code"):
                return str(coding["code"])
    return "mentee"


# ---- creating mentees ---------------------------------------------------------------------


def _created_in_this_import(plan: _Plan, key: str | None) -> str | None:
    """A mentee this import already planned for the same spoke and name (a duplicate row)."""
    if key is None:
        return None
    people = {w.res_id for w in plan.creates if w.res_type == "Practitioner" and any(
        i.get("value") == key for i in (w.resource or {}).get("identifier") or [])}
    for write in plan.creates:
        practitioner = ((write.resource or {}).get("practitioner") or {}).get("reference", "")
        if write.res_type == "PractitionerRole" and practitioner.split("/")[-1] in people:
            return f"PractitionerRole/{write.res_id}"
    return None


def _create_mentee(service: FhirService, attendee: Attendee, spoke: dict[str, Any],
                   discipline: str, plan: _Plan) -> str:
    person_id, role_id = new_id(), new_id()
    person: dict[str, Any] = {
        "resourceType": "Practitioner", "active": True, "name": [{"text": attendee.display_name}],
        "identifier": [{"system": ATTENDEE_SYSTEM, "value": _key(spoke["id"], attendee)}]}
    if attendee.email:
        person["telecom"] = [{"system": "email", "value": attendee.email.lower()}]
    role: dict[str, Any] = {
        "resourceType": "PractitionerRole", "active": True,
        "practitioner": {"reference": f"Practitioner/{person_id}"},
        "organization": {"reference": f"Organization/{spoke['id']}"},
        "code": [role_type("mentee")],
        "specialty": [{"coding": [{"system": DISCIPLINE, "code": discipline}]}]}
    country = next((a.get("country") for a in spoke.get("address") or [] if a.get("country")),
                   None)
    if country:
        role["extension"] = [{"url": COUNTRY_EXT, "valueCode": country}]
    for res_id, body in ((person_id, person), (role_id, role)):
        service.pipeline.prepare(body)
        service.ctx.resources.pending[f"{body['resourceType']}/{res_id}"] = body
        plan.creates.append(PendingWrite(body["resourceType"], res_id, body, "POST",
                                         prepared=True))
    plan.types[f"PractitionerRole/{role_id}"] = "mentee"
    return f"PractitionerRole/{role_id}"


# ---- the new participant list -------------------------------------------------------------


def _with_attendance(session: dict[str, Any], plan: _Plan) -> dict[str, Any]:
    """The session with the imported individuals' attendance entries replaced."""
    kept = [p for p in session.get("participant") or []
            if not (p.get("period") and (p.get("individual") or {}).get("reference")
                    in plan.spans)]
    added = [{"type": [role_type(plan.types.get(ref, "mentee"))],
              "period": {"start": format_instant(start), "end": format_instant(end)},
              "individual": {"reference": ref}}
             for ref, items in plan.spans.items() for start, end in merge_intervals(items)]
    return {**session, "participant": [*kept, *added]}
