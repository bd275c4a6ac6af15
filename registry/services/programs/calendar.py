"""iCalendar feeds of a program's and a cohort's sessions, and the keys that open them.

A calendar client cannot send a bearer token, so each feed also opens with a key in ``?key=``:
an HMAC of the node secret over the feed and the program's key version (the
``calendar-key-version`` extension of the HealthcareService). Rotating the key writes a new
version of the program through the write pipeline (so only who may change the program may
rotate, and the change is audited); every feed of the program then answers 403 to the old key.
Nothing about a key is stored, and a key opens only its own feed.

Each session is one VEVENT whose UID is stable (the Encounter's id) and whose SEQUENCE is the
Encounter's version less one, so a client replaces the event when a session moves or is
cancelled. The feed is built and checked with the ``icalendar`` library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from registry.errors import Forbidden, NotFound
from registry.services.fhir import FhirService
from registry.services.programs.model import (
    CALENDAR_KEY_VERSION,
    cohort_program,
    local_id,
    read_cohort,
    search_all,
)
from registry.services.sessions import parse_instant

FEEDS = ("program", "cohort")
STATUS = {"planned": "TENTATIVE", "arrived": "CONFIRMED", "triaged": "CONFIRMED",
          "in-progress": "CONFIRMED", "onleave": "CONFIRMED", "finished": "CONFIRMED",
          "cancelled": "CANCELLED", "entered-in-error": "CANCELLED"}


def key_version(program: dict[str, Any]) -> int:
    for ext in program.get("extension") or []:
        if ext.get("url") == CALENDAR_KEY_VERSION and isinstance(ext.get("valueInteger"), int):
            return int(ext["valueInteger"])
    return 0


def feed_key(secret: bytes, feed: str, res_id: str, version: int) -> str:
    """The key of one feed at one key version (URL-safe, 32 characters)."""
    mac = hmac.new(secret, f"calendar|{feed}|{res_id}|{version}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode()[:32]


def site_root(base_url: str) -> str:
    """The site root the FHIR base sits under (``…/fhir`` removed)."""
    return base_url[:-len("/fhir")] if base_url.endswith("/fhir") else base_url


def feed_links(service: FhirService, program_id: str, program: dict[str, Any]
               ) -> dict[str, Any]:
    """Parameters: the subscribable URL of the program's feed and of each cohort's feed."""
    secret, version = service.ctx.node.secret.value(), key_version(program)
    root = site_root(service.ctx.base_url)
    parts = [_link("program", program_id, root, feed_key(secret, "program", program_id, version))]
    cohorts = search_all(service, "Group", {"program": [f"HealthcareService/{program_id}"]})
    parts += [_link("cohort", str(g["id"]), root, feed_key(secret, "cohort", str(g["id"]),
                                                            version)) for g in cohorts]
    return {"resourceType": "Parameters", "parameter": parts}


def _link(feed: str, res_id: str, root: str, key: str) -> dict[str, Any]:
    return {"name": "feed", "part": [
        {"name": "kind", "valueCode": feed},
        {"name": "reference", "valueReference": {
            "reference": f"{'HealthcareService' if feed == 'program' else 'Group'}/{res_id}"}},
        {"name": "url", "valueUrl": f"{root}/calendar/{feed}/{res_id}.ics?key={key}"}]}


def rotate_key(service: FhirService, program_id: str) -> dict[str, Any]:
    """Bump the program's key version (a write: only who may update the program may rotate);
    the new feed links."""
    program = service.read("HealthcareService", program_id).resource()
    version = key_version(program) + 1
    program["extension"] = [e for e in program.get("extension") or []
                            if e.get("url") != CALENDAR_KEY_VERSION]
    program["extension"].append({"url": CALENDAR_KEY_VERSION, "valueInteger": version})
    meta = program.get("meta") or {}
    program["meta"] = {k: v for k, v in meta.items() if k not in ("versionId", "lastUpdated")}
    outcome = service.update("HealthcareService", program_id, program)
    return feed_links(service, program_id, outcome.stored.resource())


def feed_subject(service: FhirService, feed: str, res_id: str
                 ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
    """The program id, the program and (for a cohort feed) the cohort of a feed."""
    if feed not in FEEDS:
        raise NotFound(f"There is no {feed} calendar")
    if feed == "program":
        return res_id, service.read("HealthcareService", res_id).resource(), None
    cohort = read_cohort(service, res_id)
    program_id = local_id(cohort_program(cohort), "HealthcareService")
    return program_id, service.read("HealthcareService", program_id).resource(), cohort


def check_key(service: FhirService, feed: str, res_id: str, key: str) -> None:
    """403 unless ``key`` is the feed's current key (compared in constant time)."""
    _, program, _ = feed_subject(service, feed, res_id)
    wanted = feed_key(service.ctx.node.secret.value(), feed, res_id, key_version(program))
    if not hmac.compare_digest(wanted.encode(), key.encode()):
        raise Forbidden("This calendar key is not valid (it may have been rotated)")


def feed(service: FhirService, feed_kind: str, res_id: str) -> bytes:
    """The iCalendar feed of a program's or a cohort's sessions (read under the caller)."""
    _, program, cohort = feed_subject(service, feed_kind, res_id)
    if cohort is None:
        params = {"program": [f"HealthcareService/{res_id}"]}
        name = str(program.get("name") or f"HealthcareService/{res_id}")
    else:
        params = {"cohort": [f"Group/{res_id}"]}
        name = f"{program.get('name') or 'Program'} · {cohort.get('name') or res_id}"
    host = urlsplit(service.ctx.base_url).hostname or "registry"
    ics: bytes = calendar(name, search_all(service, "Encounter", params), host).to_ical()
    return ics


def calendar(name: str, sessions: Iterable[dict[str, Any]], host: str) -> Calendar:
    """A VCALENDAR with one VEVENT per session that has a start and an end."""
    cal = Calendar()
    cal.add("prodid", "-//Telementoring Network Registry//programs//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for session in sessions:
        event = _event(session, name, host)
        if event is not None:
            cal.add_component(event)
    return cal


def _title(concept: dict[str, Any]) -> str | None:
    codings = [c for c in concept.get("coding") or [] if isinstance(c, dict)]
    text = concept.get("text") or next((c.get("display") for c in codings), None)
    return str(text) if text else None


def _event(session: dict[str, Any], name: str, host: str) -> Event | None:
    period = session.get("period") or {}
    start, end = period.get("start"), period.get("end")
    if not (isinstance(start, str) and isinstance(end, str) and len(start) > 10
            and len(end) > 10):
        return None
    meta = session.get("meta") or {}
    topic = next((_title(t) for t in session.get("type") or [] if isinstance(t, dict)), None)
    event = Event()
    event.add("uid", f"{session['id']}@{host}")
    event.add("dtstart", parse_instant(start))
    event.add("dtend", parse_instant(end))
    event.add("summary", f"{name}: {topic}" if topic else name)
    event.add("status", STATUS.get(str(session.get("status")), "TENTATIVE"))
    event.add("sequence", max(0, int(meta.get("versionId") or 1) - 1))
    stamp = parse_instant(meta["lastUpdated"]) if meta.get("lastUpdated") else datetime.now(UTC)
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    return event
