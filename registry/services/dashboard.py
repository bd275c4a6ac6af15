"""What the dashboard pages show, read through the same service and policy as the API.

Every figure is a search the caller could make over the API (``FhirService.search``), so a page
never shows what its reader's token could not fetch, and a kind the role may not read at all
(sessions for a global viewer, cases for a national program) is left out instead of shown as
zero. Lists are read a page at a time up to ``MAX_ROWS``; a figure taken from a list that was
cut says so (``complete`` is False) rather than passing a partial count off as the total.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from adapters.measure_report import Figure, decode_report
from registry.errors import Forbidden
from registry.services import policy
from registry.services.federation import peers
from registry.services.fhir import FhirService
from registry.services.outcomes.ledger import PUBLIC
from registry.services.outcomes.periods import PeriodError, ReportingPeriod, parse_period
from registry.storage import dashboard as board
from registry.storage.values import instant

MAX_ROWS = 5_000
SETTLEMENTS = ("urban", "peri-urban", "rural", "remote")
ORGANIZATION_KINDS = ("hub", "spoke")
KINDS = ",".join(ORGANIZATION_KINDS)
# (first day, last day) as YYYY-MM-DD, both included; None: every day.
Days = tuple[str, str] | None


def days_of(period: ReportingPeriod | None) -> Days:
    """The days a page's ``?period=`` spans (None: no period asked, every day)."""
    return None if period is None else (period.start.isoformat(), period.end.isoformat())


@dataclass(frozen=True)
class Site:
    """A spoke site on the map."""

    name: str
    country: str
    latitude: float
    longitude: float
    settlement: str


@dataclass
class Listing:
    """The resources of a search, read page by page up to ``MAX_ROWS``."""

    resources: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True


@dataclass(frozen=True)
class Figures:
    """The network's key figures for the caller; None where the role may not read the kind."""

    hubs: int
    spokes: int
    practitioners: int | None
    programs: int
    sessions: int | None
    hours: float | None  # participant-hours
    cases: int | None


@dataclass
class Activity:
    """Sessions and participant-hours per month, per program and per topic."""

    months: dict[str, tuple[int, float]]
    programs: dict[str, tuple[int, float]]
    complete: bool
    topics: dict[str, tuple[int, float]] = field(default_factory=dict)


def count(service: FhirService, res_type: str, **criteria: str) -> int | None:
    """How many ``res_type`` match, as ``_summary=count`` answers; None when refused."""
    if not readable(service, res_type):
        return None
    params = {name.replace("_", "-"): [value] for name, value in criteria.items()}
    _, result = service.search(res_type, {**params, "_summary": ["count"]})
    return result.total or 0


def readable(service: FhirService, res_type: str) -> bool:
    """Whether the caller's role may read some ``res_type``: a page leaves out the kinds it
    may not, rather than asking and being refused."""
    return policy.scope(service.access.subject, "read", res_type) is not policy.NONE


def role_reads(role: str, res_type: str) -> bool:
    """Whether ``role`` may read some ``res_type`` (which pages a menu offers)."""
    return policy.scope(policy.Subject(role), "read", res_type) is not policy.NONE


def listing(service: FhirService, res_type: str, params: dict[str, list[str]]) -> Listing:
    """Every resource of a search, a page at a time, stopping at ``MAX_ROWS``."""
    found = Listing()
    size = min(service.ctx.node.max_count, MAX_ROWS)
    offset = 0
    while True:
        page = {**params, "_count": [str(size)], "_offset": [str(offset)]}
        _, result = service.search(res_type, page)
        found.resources.extend(s.resource() for s in result.matches)
        if not result.has_more:
            return found
        offset += size
        if offset >= MAX_ROWS:
            found.complete = False
            return found


def figures(service: FhirService, days: Days = None) -> Figures:
    """The key figures: the directory as ``_summary=count`` answers it; sessions,
    participant-hours and case presentations in ``days`` as the indicators count them (over
    every day: sessions and cases as ``_summary=count`` answers)."""
    hubs = count(service, "Organization", type="hub") or 0
    spokes = count(service, "Organization", type="spoke") or 0
    held = activity(service, days) if readable(service, "Encounter") else None
    hours = sum(h for _, h in held.months.values()) if held else None
    if days is None:
        sessions, cases_held = count(service, "Encounter"), count(service, "Composition")
    else:
        sessions = sum(n for n, _ in held.months.values()) if held else None
        presented = cases(service, days)
        cases_held = (sum(c["presentations"] for c in presented.months.values())
                      if presented else None)
    return Figures(hubs=hubs, spokes=spokes, practitioners=count(service, "Practitioner"),
                   programs=count(service, "HealthcareService") or 0, sessions=sessions,
                   hours=hours, cases=cases_held)


def organizations_by_country(service: FhirService) -> tuple[dict[str, Counter[str]], bool]:
    """Hubs and spokes per country (``{"PE": Counter(hub=1, spoke=12)}``), counted in SQL
    over the index; always complete."""
    counts = service.count_by("Organization", {"type": [KINDS]}, ["country", "type"])
    table: dict[str, Counter[str]] = {}
    for (country, kind), n in counts.items():
        if kind in ORGANIZATION_KINDS:
            table.setdefault(country or "?", Counter())[kind] += n
    return dict(sorted(table.items())), True


def sites(service: FhirService) -> tuple[list[Site], bool]:
    """Spoke sites with a position, for the map, read from the index; always complete."""
    rows = service.index_values("Location", {}, ["name", "country", "settlement", "near"])
    return [Site(name or "", country or "", float(lat), float(lon), settlement or "unknown")
            for name, country, settlement, lat, lon in rows
            if lat is not None and lon is not None], True


def activity(service: FhirService, days: Days = None,
             programs: list[str] | None = None) -> Activity:
    """Sessions and participant-hours per month, program and topic in ``days``, from the
    session facts the indicators count; empty when the role may not read sessions."""
    if not readable(service, "Encounter"):
        return Activity({}, {}, True)
    months: dict[str, tuple[int, float]] = {}
    by_program: dict[str, tuple[int, float]] = {}
    topics: dict[str, tuple[int, float]] = {}
    for month, program, topic, sessions, hours in board.sessions(
            service.ctx.conn, service.access.read_scope(), days, programs):
        for table, key in ((months, month), (by_program, program), (topics, topic)):
            _add(table, key or "?", int(sessions), float(hours or 0.0))
    return Activity(dict(sorted(months.items())), dict(sorted(by_program.items())),
                    True, dict(sorted(topics.items())))


def _add(table: dict[str, tuple[int, float]], key: str, sessions: int, hours: float) -> None:
    held, total = table.get(key, (0, 0.0))
    table[key] = (held + sessions, total + hours)


@dataclass
class ProgramPage:
    program: dict[str, Any]
    hub: dict[str, Any] | None
    spokes: list[dict[str, Any]]
    activity: Activity

    @property
    def schedule(self) -> list[tuple[list[str], str, str]]:
        """When the program meets (``HealthcareService.availableTime``): the FHIR day codes,
        start and end time of each slot."""
        return [(list(t.get("daysOfWeek") or []), t.get("availableStartTime", ""),
                 t.get("availableEndTime", ""))
                for t in self.program.get("availableTime") or []]


def program_page(service: FhirService, program_id: str, days: Days = None) -> ProgramPage:
    """A program (HealthcareService), its hub, spokes and sessions: 404 when the caller may
    not read it, 403 when it belongs to a hub whose pages the caller may not open."""
    program = service.read("HealthcareService", program_id).resource()
    service.access.require_hub_pages("HealthcareService", program_id)
    hub_ref = (program.get("providedBy") or {}).get("reference", "")
    hub = _read(service, hub_ref)
    ref = f"HealthcareService/{program_id}"
    affiliations = listing(service, "OrganizationAffiliation", {"service": [ref]})
    spokes = [s for a in affiliations.resources
              if (s := _read(service, (a.get("participatingOrganization") or {}).get(
                  "reference", ""))) is not None]
    return ProgramPage(program, hub, sorted(spokes, key=lambda s: s.get("name", "")),
                       activity(service, days, [ref]))


def _read(service: FhirService, reference: str) -> dict[str, Any] | None:
    res_type, _, res_id = reference.partition("/")
    if not res_id or not service.access.may_read(res_type, res_id):
        return None
    return service.read(res_type, res_id).resource()


def names(service: FhirService, references: list[str]) -> dict[str, str]:
    """The names of the resources the caller may read, by reference (labels for tables)."""
    found: dict[str, str] = {}
    for reference in references:
        resource = _read(service, reference) if "/" in reference else None
        if resource is not None:
            found[reference] = resource.get("name") or reference
    return found


@dataclass
class Hub:
    organization: dict[str, Any]
    spokes: int
    programs: int
    opens: bool  # whether the caller may open the hub's page


def hubs(service: FhirService) -> tuple[list[Hub], bool]:
    """The hubs the caller sees, with the spokes and programs it sees of each."""
    found = listing(service, "Organization", {"type": ["hub"], "_sort": ["name"]})
    per_hub = _per_value(service.count_by("Organization", {"type": ["spoke"]}, ["partof"]))
    per_program = _per_value(service.count_by("HealthcareService", {}, ["organization"]))
    keys = [("Organization", str(org["id"])) for org in found.resources]
    opens = service.access.hub_pages_among(keys)
    return [Hub(org, per_hub[f"Organization/{org['id']}"],
                per_program[f"Organization/{org['id']}"], key in opens)
            for org, key in zip(found.resources, keys, strict=True)], found.complete


def _per_value(counts: dict[tuple[Any, ...], int]) -> Counter[str]:
    return Counter({str(values[0]): n for values, n in counts.items() if values[0]})


@dataclass
class HubPage:
    hub: dict[str, Any]
    spokes: list[dict[str, Any]]
    programs: list[dict[str, Any]]
    activity: Activity


def hub_page(service: FhirService, hub_id: str, days: Days = None) -> HubPage:
    """A hub, its spokes, programs and its programs' sessions: 404 when the caller may not
    read it, 403 when the caller may not open its pages."""
    hub = service.read("Organization", hub_id).resource()
    service.access.require_hub_pages("Organization", hub_id)
    ref = f"Organization/{hub_id}"
    spokes = listing(service, "Organization", {"partof": [ref], "_sort": ["name"]})
    offered = listing(service, "HealthcareService", {"organization": [ref], "_sort": ["name"]})
    refs = [f"HealthcareService/{p['id']}" for p in offered.resources]
    sessions = activity(service, days, refs)
    return HubPage(hub, spokes.resources, offered.resources, sessions)


def programs(service: FhirService) -> tuple[list[dict[str, Any]], bool]:
    found = listing(service, "HealthcareService", {"_sort": ["name"]})
    return found.resources, found.complete


def program_pages_open(service: FhirService, found: list[dict[str, Any]]) -> set[str]:
    """The ids of the programs whose pages the caller may open."""
    keys = [("HealthcareService", str(p["id"])) for p in found]
    return {res_id for _, res_id in service.access.hub_pages_among(keys)}


def iter_rows(table: dict[str, tuple[int, float]]) -> Iterator[tuple[str, int, float]]:
    for key, (sessions, hours) in table.items():
        yield key, sessions, round(hours, 1)


@dataclass
class Reach:
    """Spoke sites by country and settlement, and mentees by country and discipline."""

    sites: dict[str, Counter[str]]
    mentees: dict[str, Counter[str]]
    complete: bool

    @property
    def rural_share(self) -> float | None:
        """Rural and remote sites as a share of every site; None without sites."""
        total = sum(sum(c.values()) for c in self.sites.values())
        rural = sum(c["rural"] + c["remote"] for c in self.sites.values())
        return rural / total if total else None


def reach(service: FhirService) -> Reach:
    """Sites by country and settlement, mentees by country and discipline, counted in SQL
    over the index."""
    by_site = _table(service.count_by("Location", {}, ["country", "settlement"]))
    by_mentee = _table(service.count_by("PractitionerRole", {"role": ["mentee"]},
                                        ["country", "specialty"])
                       if readable(service, "PractitionerRole") else {})
    return Reach(by_site, by_mentee, True)


def _table(counts: dict[tuple[Any, ...], int]) -> dict[str, Counter[str]]:
    """``{(row, column): n}`` as ``{row: Counter(column=n)}``, rows sorted; "?" for none."""
    table: dict[str, Counter[str]] = {}
    for (row, column), n in counts.items():
        table.setdefault(row or "?", Counter())[column or "?"] += n
    return dict(sorted(table.items()))


@dataclass
class Cases:
    """Case presentations per month (counts only: no case content ever reaches a page)."""

    months: dict[str, Counter[str]]
    days_to_recommendation: float | None  # median, over answered presentations
    complete: bool


def cases(service: FhirService, days: Days = None) -> Cases | None:
    """Presentations, follow-ups and recommendations per month, and the median days from a
    presentation to its first recommendation, from the facts the case indicators count;
    None when the role may not read cases."""
    if not readable(service, "Composition"):
        return None
    conn, scope = service.ctx.conn, service.access.read_scope()
    months: dict[str, Counter[str]] = {}
    for month, code, n in board.cases(conn, scope, days):
        tally = months.setdefault(month or "?", Counter())
        tally["presentations"] += n
        tally["follow-ups"] += n if code == "follow-up" else 0
    answered = readable(service, "Communication")
    for month, n in board.recommendations(conn, scope, days) if answered else []:
        months.setdefault(month or "?", Counter())["recommendations"] += n
    waits = board.waits(conn, scope, days) if answered else []
    service.access.accessed("search-type", [], {}, "Composition")
    return Cases(dict(sorted(months.items())), statistics.median(waits) if waits else None,
                 True)


# ---- outcomes -------------------------------------------------------------------------------

CHANGE_KINDS = ("knowledge", "self-efficacy")
OUTCOME_INDICATORS = ("knowledge-gain", "self-efficacy-change", "attrition")


@dataclass(frozen=True)
class Change:
    """One program's mean change on one kind of instrument, as the evaluation analysis gives
    it (the interval is the analysis's own, never computed here)."""

    program: str
    name: str
    kind: str
    instrument: str
    n: int
    mean_pre: float
    mean_post: float
    mean_change: float
    low: float | None
    high: float | None


@dataclass(frozen=True)
class ReleasedFigure:
    """A released MeasureReport's total or stratum as released: ``value`` None when masked."""

    indicator: str
    subject: str
    stratum: str
    value: float | None
    threshold: int | None


def reads_analyses(role: str) -> bool:
    """Whether ``role`` may read the evaluation analysis of some program (the menu entry)."""
    subject = policy.Subject(role)
    return role_reads(role, "QuestionnaireResponse") or (
        subject.role in policy.COUNTRY_ROLES and role_reads(role, "MeasureReport"))


def reads_outcomes(role: str) -> bool:
    return reads_analyses(role) or role_reads(role, "MeasureReport")


def changes(service: FhirService, language: str) -> tuple[list[Change], bool]:
    """Knowledge and self-efficacy change per program the caller may read the analysis of:
    every program's scores read at once, paired and summarised by the analysis's own
    functions, so each figure and interval equals what ``$evaluation-analysis`` answers."""
    programs = listing(service, "HealthcareService", {})
    names = {f"HealthcareService/{p['id']}": str(p.get("name", ""))
             for p in programs.resources
             if service.access.may_read_evaluation_analysis(p["id"])}
    return _changes(service, names, language), programs.complete


def program_changes(service: FhirService, program_id: str, language: str) -> list[Change]:
    """One program's knowledge and self-efficacy change (its page); [] when the caller may
    not read its analysis."""
    if not service.access.may_read_evaluation_analysis(program_id):
        return []
    program = service.read("HealthcareService", program_id).resource()
    return _changes(service, {f"HealthcareService/{program_id}": str(program.get("name", ""))},
                    language)


def _changes(service: FhirService, names: dict[str, str], language: str) -> list[Change]:
    # The statistics load scipy: imported here, so a worker that never shows outcomes never
    # loads it.
    from registry.services.evaluations.change import program_changes as summarise

    found = []
    for c in summarise(service.ctx, board.paired_sums(service.ctx.conn, list(names)),
                       CHANGE_KINDS):
        low, high = c.change_ci or (None, None)
        title = c.instrument.title
        found.append(Change(c.program.split("/", 1)[1], names.get(c.program, c.program),
                            c.instrument.kind,
                            title.get(language) or title.get("en") or c.instrument.url,
                            c.n, c.mean_pre, c.mean_post, c.mean_change, low, high))
    return found


def latest_released_period(service: FhirService) -> str | None:
    """The period of the latest public release (the longest when several end together):
    what the outcomes page shows when no period is asked."""
    periods = []
    for code in board.released_periods(service.ctx.conn, PUBLIC):
        try:
            periods.append(parse_period(code))
        except PeriodError:
            continue
    latest = max(periods, key=lambda p: (p.end, p.end - p.start), default=None)
    return latest.code if latest else None


def released_figures(reports: list[dict[str, Any]]) -> list[ReleasedFigure]:
    """The outcome indicators' figures as released: a masked cell stays masked."""
    rows: list[ReleasedFigure] = []
    for report in reports:
        data = decode_report(report)
        key = data.measure.split("|")[0].rsplit("/", 1)[-1]
        if key not in OUTCOME_INDICATORS:
            continue
        rows.append(_released(key, data.subject, "", data.total, data.threshold))
        for stratifier, values in sorted(data.strata.items()):
            for value, figure in sorted(values.items()):
                rows.append(_released(key, data.subject, f"{stratifier}={value}", figure,
                                      data.threshold))
    return rows


def _released(key: str, subject: str, stratum: str, figure: Figure, threshold: int | None
              ) -> ReleasedFigure:
    value = None if figure.masked or figure.score is None else float(figure.score)
    return ReleasedFigure(key, subject, stratum, value, threshold)


# ---- peers ----------------------------------------------------------------------------------

PEER_PAGES = frozenset({"network-admin"})  # the federation's set-up is the network's to see


@dataclass(frozen=True)
class Peer:
    """A peer this node pulls from, as ``registry peer list`` shows it (never its token)."""

    name: str
    base: str
    cursor: str | None
    last_success: str | None
    last_error: str | None
    errors: int


def reads_peers(role: str) -> bool:
    return role in PEER_PAGES


def peer_list(service: FhirService) -> list[Peer]:
    """Each peer with its last sync, cursor, last error and error count; 403 to other roles."""
    if not reads_peers(service.access.subject.role):
        raise Forbidden(f"The {service.access.subject.role} role may not read the peers")
    return [Peer(s.peer.name, s.peer.base, s.peer.cursor,
                 instant(s.peer.last_success) if s.peer.last_success else None,
                 s.peer.last_error, s.errors) for s in peers.statuses(service.ctx)]
