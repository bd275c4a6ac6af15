"""The demo's directory: a deterministic, clearly fictional network (also for benchmarks).

``generate_network`` streams FHIR R4 resource dicts in dependency order (a referenced
resource always comes before its referrers) with client-assigned ids, so loading the
stream with PUT is idempotent and a load can be resumed. The fixed part of the network
(hubs, programs, towns, name parts) is data under ``schemas/demo``; this module only draws
from it with ``random.Random(seed)``, so one seed always gives byte-identical output.

The hubs publish their directory entries (Organizations, sites, programs and affiliations;
never people) with the network's ``published`` tag, so global-viewer and peer tokens see the
network as a federation would.

``generate_sessions`` adds session Encounters (the demo's activity and the benchmarks);
``rosters`` collects the programs and their PractitionerRoles that it needs from any stream of
resources.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources as package_files
from typing import Any

from registry.services import terminology

BASE = terminology.BASE
SD = f"{BASE}/StructureDefinition"
CS = f"{BASE}/CodeSystem"
ORG_ID_SYSTEM = f"{BASE}/sid/organization"
COUNTRY_EXT = f"{SD}/network-country"
SETTLEMENT_EXT = f"{SD}/settlement"
SESSION_PROGRAM_EXT = f"{SD}/session-program"
HL7_CS = "http://terminology.hl7.org/CodeSystem"
DEMO_TAG = {"system": f"{HL7_CS}/v3-ActReason", "code": "HTEST", "display": "test health data"}
PUBLISHED_TAG = {"system": f"{CS}/network", "code": "published"}
FIRST_DAY = date(2019, 1, 1).toordinal()
DAYS_SPAN = date(2025, 12, 31).toordinal() - FIRST_DAY
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOST_CODES = frozenset({"tutor", "facilitator"})
ATTENDEE_CODES = frozenset({"mentee", "presenter"})


@cache
def _data(name: str) -> dict[str, Any]:
    path = package_files.files("schemas") / "demo" / f"{name}.json"
    found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return found


def _coding(system: str, code: str) -> dict[str, str]:
    return {"system": system, "code": code, "display": terminology.display(system, code) or code}


def _concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [_coding(system, code)]}


def _ref(rtype: str, rid: str, display: str | None = None) -> dict[str, str]:
    ref = {"reference": f"{rtype}/{rid}"}
    if display:
        ref["display"] = display
    return ref


def _meta(profile: str | None, *, published: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"tag": [dict(DEMO_TAG), *([dict(PUBLISHED_TAG)] if published
                                                     else [])]}
    if profile:
        meta["profile"] = [f"{SD}/{profile}"]
    return meta


def _country_ext(country: str) -> list[dict[str, str]]:
    return [{"url": COUNTRY_EXT, "valueCode": country}]


def _some_day(rng: random.Random) -> str:
    return date.fromordinal(FIRST_DAY + rng.randrange(DAYS_SPAN)).isoformat()


@dataclass(frozen=True)
class Program:
    id: str
    topic: str
    languages: tuple[str, ...]
    schedule: dict[str, Any]  # one HealthcareService.availableTime entry


@dataclass(frozen=True)
class Hub:
    key: str
    id: str
    country: str
    name: str
    short: str
    town: tuple[Any, ...]
    weight: float
    programs: tuple[Program, ...]

    @property
    def language(self) -> str:
        language: str = _data("places")["countries"][self.country]["languages"][0]
        return language


def _town(country: str, name: str) -> tuple[Any, ...]:
    for row in _data("places")["countries"][country]["towns"]:
        if row[0] == name:
            return tuple(row)
    raise ValueError(f"demo data: no town {name!r} in {country}")


def _hubs() -> list[Hub]:
    hubs = []
    for raw in _data("network")["hubs"]:
        programs = tuple(
            Program(f"demo-program-{raw['key']}-{i}", p["topic"], tuple(p["languages"]),
                    {"daysOfWeek": p["days"], "availableStartTime": p["start"],
                     "availableEndTime": p["end"]})
            for i, p in enumerate(raw["programs"], start=1))
        hubs.append(Hub(raw["key"], f"demo-hub-{raw['key']}", raw["country"], raw["name"],
                        raw["short"], _town(raw["country"], raw["town"]), raw["weight"], programs))
    return hubs


def _national_id(country: str) -> str:
    return f"demo-national-program-{country.lower()}"


def _organization(rid: str, kind: str, name: str, identifier: str, town: Sequence[Any] | None,
                  country: str, part_of: str | None) -> dict[str, Any]:
    address = {"city": town[0], "state": town[1], "country": country} if town else {
        "country": country}
    org: dict[str, Any] = {
        "resourceType": "Organization", "id": rid,
        "meta": _meta(f"{kind}-organization", published=kind != "national-program"),
        "identifier": [{"system": ORG_ID_SYSTEM, "value": identifier}], "active": True,
        "type": [_concept(f"{CS}/organization-kind", kind)], "name": name,
        "address": [address]}
    if part_of:
        org["partOf"] = _ref("Organization", part_of)
    return org


def _national_programs() -> Iterator[dict[str, Any]]:
    for country, name in _data("network")["national_programs"].items():
        yield _organization(_national_id(country), "national-program", name,
                            f"NP-{country}", None, country, None)


def _hub_resources(hubs: list[Hub]) -> Iterator[dict[str, Any]]:
    national = _data("network")["national_programs"]
    for hub in hubs:
        parent = _national_id(hub.country) if hub.country in national else None
        yield _organization(hub.id, "hub", hub.name, f"HUB-{hub.key.upper()}", hub.town,
                            hub.country, parent)
    for hub in hubs:
        yield _endpoint(hub)
    for hub in hubs:
        yield from (_program(hub, p) for p in hub.programs)


def _endpoint(hub: Hub) -> dict[str, Any]:
    return {
        "resourceType": "Endpoint", "id": f"demo-node-{hub.key}",
        "meta": _meta("peer-node-endpoint"), "status": "active",
        "connectionType": {"system": f"{HL7_CS}/endpoint-connection-type",
                           "code": "hl7-fhir-rest", "display": "HL7 FHIR"},
        "name": f"{hub.short} registry node (demo)",
        "managingOrganization": _ref("Organization", hub.id, hub.name),
        "payloadType": [{"coding": [{
            "system": f"{HL7_CS}/endpoint-payload-type",
            "code": "any", "display": "Any"}]}],
        "payloadMimeType": ["application/fhir+json"],
        "address": f"https://{hub.key}.demo.example.org/fhir"}


def _program(hub: Hub, program: Program) -> dict[str, Any]:
    topic_name = terminology.display(f"{CS}/program-topic", program.topic, program.languages[0])
    return {
        "resourceType": "HealthcareService", "id": program.id,
        "meta": _meta("program-healthcare-service", published=True),
        "extension": _country_ext(hub.country),
        "active": True, "providedBy": _ref("Organization", hub.id, hub.name),
        "type": [_concept(f"{CS}/program-topic", program.topic)],
        "name": f"{topic_name} · {hub.short} (demo)",
        "comment": "Weekly case-based telementoring session (fictional demo program).",
        "communication": [_concept(terminology.BCP_47, lang) for lang in program.languages],
        "availableTime": [copy.deepcopy(program.schedule)]}


class _People:
    """Invents practitioners and their roles, numbering them in the order they are made."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0
        self.names = _data("people")["languages"]
        weights = _data("network")["mentee_disciplines"]
        self.mentee_disciplines: list[str] = list(weights)
        self.mentee_weights: list[float] = list(weights.values())

    def _name(self, language: str) -> tuple[dict[str, Any], str]:
        pool, rng = self.names[language], self.rng
        gender = "female" if rng.random() < 0.55 else "male"
        family = " ".join(rng.sample(pool["family"], pool["family_names"]))
        return {"use": "official", "family": family, "given": [rng.choice(pool[gender])]}, gender

    def member(self, language: str, org: tuple[str, str], country: str, codes: Sequence[str],
               discipline: str, programs: Sequence[str], active: bool) -> list[dict[str, Any]]:
        """A Practitioner and their one PractitionerRole at ``org`` (id, name)."""
        self.count += 1
        pid, rid = f"demo-practitioner-{self.count:07d}", f"demo-role-{self.count:07d}"
        name, gender = self._name(language)
        full = f"{name['given'][0]} {name['family']}"
        practitioner = {
            "resourceType": "Practitioner", "id": pid, "meta": _meta(None), "active": True,
            "name": [name], "gender": gender,
            "telecom": [{"system": "email", "value": f"{pid}@demo.example.org", "use": "work"}],
            "communication": [_concept(terminology.BCP_47, language)]}
        role = {
            "resourceType": "PractitionerRole", "id": rid,
            "meta": _meta("program-practitioner-role"),
            "extension": _country_ext(country), "active": active,
            "period": {"start": _some_day(self.rng)},
            "practitioner": _ref("Practitioner", pid, full),
            "organization": _ref("Organization", *org),
            "code": [_concept(f"{CS}/program-role", c) for c in codes],
            "specialty": [_concept(f"{CS}/discipline", discipline)],
            "healthcareService": [_ref("HealthcareService", p) for p in programs]}
        return [practitioner, role]

    def mentee_discipline(self) -> str:
        return self.rng.choices(self.mentee_disciplines, self.mentee_weights)[0]


def _scaled(count: int, scale: float) -> int:
    return max(1, round(count * scale))


def _hub_staff(hubs: list[Hub], people: _People, scale: float) -> Iterator[dict[str, Any]]:
    network = _data("network")
    rng = people.rng
    for hub in hubs:
        org = (hub.id, hub.name)
        everything = [p.id for p in hub.programs]
        for role in ("coordinator", "facilitator"):
            for _ in range(_scaled(network["staff_per_hub"][role], scale)):
                discipline = rng.choice(network["staff_disciplines"][role])
                yield from people.member(hub.language, org, hub.country, [role], discipline,
                                         everything, True)
        for i in range(_scaled(network["staff_per_hub"]["tutor"], scale)):
            program = hub.programs[i % len(hub.programs)]
            discipline = rng.choice(network["tutor_disciplines"][program.topic])
            yield from people.member(program.languages[0], org, hub.country, ["tutor"],
                                     discipline, [program.id], True)


def _spoke_counts(hubs: list[Hub], total: int) -> list[int]:
    """Split ``total`` spokes by hub weight (largest remainder, at least one each)."""
    weight = sum(h.weight for h in hubs)
    shares = [max(1.0, total * h.weight / weight) for h in hubs]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(hubs)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[:max(0, total - sum(counts))]:
        counts[i] += 1
    return counts


SETTLEMENT_ODDS = {"city": (("urban", 0.65), ("peri-urban", 1.0)),
                   "town": (("rural", 0.6), ("peri-urban", 0.8), ("urban", 1.0))}
JITTER = {"urban": 0.03, "peri-urban": 0.08, "rural": 0.25}


def _settlement(rng: random.Random, size: str) -> str:
    draw = rng.random()
    return next(code for code, upto in SETTLEMENT_ODDS[size] if draw < upto)


@dataclass
class _SpokeMaker:
    rng: random.Random
    people: _People
    count: int = 0

    def spoke(self, hub: Hub) -> Iterator[dict[str, Any]]:
        """A spoke Organization, its site, its participation in ``hub`` and its members."""
        self.count += 1
        rng, n = self.rng, self.count
        country = _data("places")["countries"][hub.country]
        town = rng.choice(country["towns"])
        language = town[5] if len(town) > 5 else country["languages"][0]
        settlement = _settlement(rng, town[4])
        names = self.people.names[language]
        patterns = names["sites"] + (names["rural_sites"] if settlement == "rural" else [])
        name = f"{rng.choice(patterns).format(town=town[0])} {n} (demo)"
        spoke_id = f"demo-spoke-{n:06d}"
        program = rng.choice(hub.programs)
        active = rng.random() >= 0.05
        yield _organization(spoke_id, "spoke", name, f"SPK-{n:06d}", town, hub.country, hub.id)
        yield self._site(n, spoke_id, name, town, hub.country, settlement)
        yield self._affiliation(n, hub, spoke_id, program, active)
        low, high = _data("network")["mentees_per_spoke"]
        share = _data("network")["presenter_share"]
        for _ in range(rng.randint(low, high)):
            codes = ["mentee", "presenter"] if rng.random() < share else ["mentee"]
            yield from self.people.member(language, (spoke_id, name), hub.country, codes,
                                          self.people.mentee_discipline(), [program.id], active)

    def _site(self, n: int, spoke_id: str, name: str, town: Sequence[Any], country: str,
              settlement: str) -> dict[str, Any]:
        spread = JITTER[settlement]
        lat = round(town[2] + self.rng.uniform(-spread, spread), 5)
        lon = round(town[3] + self.rng.uniform(-spread, spread), 5)
        return {
            "resourceType": "Location", "id": f"demo-site-{n:06d}",
            "meta": _meta("spoke-site-location", published=True),
            "extension": [{"url": SETTLEMENT_EXT,
                           "valueCoding": _coding(f"{CS}/settlement", settlement)}],
            "status": "active", "name": name, "mode": "instance",
            "address": {"city": town[0], "state": town[1], "country": country},
            "position": {"longitude": lon, "latitude": lat},
            "managingOrganization": _ref("Organization", spoke_id, name)}

    def _affiliation(self, n: int, hub: Hub, spoke_id: str, program: Program,
                     active: bool) -> dict[str, Any]:
        period = {"start": _some_day(self.rng)}
        if not active:
            period["end"] = "2025-12-31"
        return {
            "resourceType": "OrganizationAffiliation", "id": f"demo-affiliation-{n:06d}",
            "meta": _meta("hub-spoke-affiliation", published=True),
            "extension": _country_ext(hub.country),
            "active": active, "period": period,
            "organization": _ref("Organization", hub.id, hub.name),
            "participatingOrganization": _ref("Organization", spoke_id),
            "healthcareService": [_ref("HealthcareService", program.id)]}


def generate_network(seed: int = 2026, scale: float = 1.0) -> Iterator[dict[str, Any]]:
    """Stream the demo network. ``scale`` multiplies spokes and practitioners (about
    ``expected_resources(scale)`` resources); nothing but the hubs is held in memory."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    rng = random.Random(seed)
    hubs = _hubs()
    people = _People(rng)
    yield from _national_programs()
    yield from _hub_resources(hubs)
    yield from _hub_staff(hubs, people, scale)
    maker = _SpokeMaker(rng, people)
    total = _scaled(_data("network")["spokes"], scale)
    for hub, count in zip(hubs, _spoke_counts(hubs, total), strict=True):
        for _ in range(count):
            yield from maker.spoke(hub)


def expected_resources(scale: float = 1.0) -> int:
    """About how many resources ``generate_network`` yields at ``scale`` (mentees vary)."""
    network = _data("network")
    hubs = network["hubs"]
    fixed = len(network["national_programs"]) + 2 * len(hubs) + sum(
        len(h["programs"]) for h in hubs)
    staff = len(hubs) * sum(_scaled(n, scale) for n in network["staff_per_hub"].values())
    low, high = network["mentees_per_spoke"]
    per_spoke: float = 3 + 2 * (low + high) / 2
    return round(fixed + 2 * staff + _scaled(network["spokes"], scale) * per_spoke)


def scale_for(resources: int) -> float:
    """The ``scale`` at which ``generate_network`` yields about ``resources`` resources."""
    per_unit = expected_resources(100.0) / 100.0
    return max(resources / per_unit, 0.01)


# --- sessions ---------------------------------------------------------------------------------

VIRTUAL = {"system": f"{HL7_CS}/v3-ActCode", "code": "VR", "display": "virtual"}
PARTICIPATION = f"{HL7_CS}/v3-ParticipationType"
LAST_MONDAY = date(2025, 12, 29).toordinal()
WEEKS_BACK = 520  # sessions fall in the ten years before LAST_MONDAY; more cohorts reuse slots


@dataclass(frozen=True)
class Roster:
    """A program and who takes part in its sessions: all ``generate_sessions`` needs."""

    program: str  # "HealthcareService/<id>"
    provider: str  # "Organization/<hub id>"
    topic: dict[str, Any]  # CodeableConcept for Encounter.serviceType
    weekday: int  # 0 = Monday
    start: int  # minutes after local midnight
    end: int
    utc_offset: str  # "-03:00"
    hosts: tuple[str, ...]  # "PractitionerRole/<id>" of tutors and facilitators
    attendees: tuple[str, ...]  # mentees and case presenters


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")[:2]
    return int(hours) * 60 + int(minutes)


def _roster(ref: str, service: dict[str, Any], hosts: list[str],
            attendees: list[str]) -> Roster:
    slot = service["availableTime"][0]
    country = next((e.get("valueCode") for e in service.get("extension", [])
                    if e.get("url") == COUNTRY_EXT), None)
    places = _data("places")["countries"]
    offset = places[country]["utc_offset"] if country in places else "+00:00"
    return Roster(ref, service["providedBy"]["reference"], service["type"][0],
                  WEEKDAYS.index(slot["daysOfWeek"][0]), _minutes(slot["availableStartTime"]),
                  _minutes(slot["availableEndTime"]), offset, tuple(hosts), tuple(attendees))


def rosters(resources: Iterable[dict[str, Any]]) -> list[Roster]:
    """Programs (HealthcareService) with the active roles that serve them, from any resource
    stream such as ``generate_network``'s; programs without hosts or attendees are left out."""
    services: dict[str, dict[str, Any]] = {}
    hosts: dict[str, list[str]] = {}
    attendees: dict[str, list[str]] = {}
    for res in resources:
        if res.get("resourceType") == "HealthcareService" and res.get("availableTime"):
            services[f"HealthcareService/{res['id']}"] = res
        elif res.get("resourceType") == "PractitionerRole" and res.get("active", True):
            codes = {c.get("code") for cc in res.get("code", []) for c in cc.get("coding", [])}
            bucket = hosts if codes & HOST_CODES else attendees if codes & ATTENDEE_CODES else None
            if bucket is None:
                continue
            for service in res.get("healthcareService", []):
                bucket.setdefault(service["reference"], []).append(f"PractitionerRole/{res['id']}")
    return [_roster(ref, svc, hosts[ref], attendees[ref]) for ref, svc in services.items()
            if hosts.get(ref) and attendees.get(ref)]


def _participant(code: str, display: str, start: str, end: str, role: str) -> dict[str, Any]:
    return {"type": [{"coding": [{"system": PARTICIPATION, "code": code, "display": display}]}],
            "period": {"start": start, "end": end}, "individual": {"reference": role}}


def _session(rng: random.Random, p: Roster, week: int, n: int) -> dict[str, Any]:
    day = date.fromordinal(LAST_MONDAY - 7 * (week % WEEKS_BACK) + p.weekday).isoformat()

    def at(minute: int) -> str:
        return f"{day}T{minute // 60:02d}:{minute % 60:02d}:00{p.utc_offset}"

    people = [_participant("PPRF", "primary performer", at(max(0, p.start - rng.randint(0, 5))),
                           at(p.end), ref)
              for ref in rng.sample(p.hosts, min(len(p.hosts), rng.randint(1, 2)))]
    for ref in rng.sample(p.attendees, min(len(p.attendees), rng.randint(3, 8))):
        join = p.start + rng.randint(0, 15)
        leave = max(join + 5, p.end - rng.randint(0, 20))
        people.append(_participant("PART", "Participation", at(join), at(leave), ref))
    return {
        "resourceType": "Encounter", "id": f"demo-session-{n:08d}", "meta": _meta(None),
        "extension": [{"url": SESSION_PROGRAM_EXT, "valueReference": {"reference": p.program}}],
        "status": "finished", "class": dict(VIRTUAL),
        "serviceType": {"coding": [dict(c) for c in p.topic.get("coding", [])]},
        "participant": people, "period": {"start": at(p.start), "end": at(p.end)},
        "serviceProvider": {"reference": p.provider}}


def generate_sessions(seed: int, programs: Sequence[Roster],
                      count: int) -> Iterator[dict[str, Any]]:
    """``count`` finished virtual session Encounters, round-robin over ``programs`` (see
    ``rosters``), each on its program's weekly slot going back from the end of 2025, with
    hosts and attendees joining and leaving at plausible times. Deterministic per seed."""
    if not programs:
        raise ValueError("generate_sessions needs at least one program roster")
    rng = random.Random(seed)
    weeks = [0] * len(programs)
    for n in range(count):
        i = n % len(programs)
        yield _session(rng, programs[i], weeks[i], n + 1)
        weeks[i] += 1
