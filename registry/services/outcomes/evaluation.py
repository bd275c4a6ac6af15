"""Indicator figures from the outcome facts, in the shape the report builder takes.

Each indicator key (``schemas/measures/README.md``) has one storage query that gives its
members in the period with what the stratifiers need (``registry.storage.indicators``).
Counts, sums and proportions are aggregated in SQL (``tally``: the total and one row per
stratum); the indicators that read the same members (the attendances of the period) share
one statement per evaluation run. Medians, which SQLite cannot compute, and the evaluation
keys, whose members come from an ``EvaluationSource`` (the evaluations package, so
person-level responses are read where they live), are figured here from their member rows:
few, since they are cases and mentees, not attendances. Every stratum is one value
(``unknown`` for a member without one).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any, Protocol

from registry.services.outcomes.measures import Indicator, catalogue
from registry.services.outcomes.periods import ReportingPeriod
from registry.services.outcomes.reports import Counted, IndicatorFigures
from registry.storage import indicators as queries
from registry.storage import outcomes as facts
from registry.storage.database import Connection

UNKNOWN = "unknown"
ATTRIBUTES = ("country", "hub", "program", "topic", "discipline", "settlement")
# Which instrument of an evaluation pair each evaluation indicator counts.
INSTRUMENT_OF = {"knowledge-gain": "knowledge", "self-efficacy-change": "self-efficacy"}
Shared = dict[tuple[str | None, ...], Any]


class PairedChange(Protocol):
    """One mentee's pre and post results on one instrument (the evaluations package's)."""

    @property
    def instrument(self) -> str: ...
    @property
    def hub(self) -> str: ...
    @property
    def program(self) -> str | None: ...
    @property
    def cohort(self) -> str | None: ...
    @property
    def mentee_key(self) -> str: ...
    @property
    def pre(self) -> float: ...
    @property
    def post(self) -> float: ...
    @property
    def completed(self) -> date: ...
    @property
    def kind(self) -> str: ...  # knowledge, self-efficacy, ...
    @property
    def role(self) -> str: ...  # "PractitionerRole/<id>", for strata on this node


class EvaluationSource(Protocol):
    """Where evaluation pairs come from: ``registry.services.evaluations.facts.paired_changes``."""

    def __call__(self, conn: Connection, *, start: date, end: date,
                 hub: str | None = None) -> Sequence[PairedChange]: ...


def no_evaluations(conn: Connection, *, start: date, end: date,
                   hub: str | None = None) -> Sequence[PairedChange]:
    """The source of a node without the evaluations package: no pairs."""
    return []


@dataclass(frozen=True)
class Member:
    """One member of an indicator with its stratum values (relative references)."""

    key: str
    observation: float | None
    country: str | None
    hub: str | None
    program: str | None
    topic: str | None
    discipline: str | None
    settlement: str | None
    day: str


@dataclass(frozen=True)
class Scope:
    """What is evaluated: a period, optionally one hub, and how references are written."""

    period: ReportingPeriod
    base_url: str
    hub: str | None = None  # "Organization/ID"

    @property
    def bounds(self) -> tuple[str, str]:
        return self.period.start.isoformat(), self.period.end.isoformat()


def figures(conn: Connection, indicator: Indicator, scope: Scope,
            evaluations: EvaluationSource = no_evaluations,
            shared: Shared | None = None) -> IndicatorFigures:
    """The total and strata of ``indicator`` over ``scope``. ``shared`` keeps query results
    that several indicators read (the attendances of the period) for one evaluation run."""
    if indicator.key in _COUNTED:
        return _tallied(conn, indicator, scope, {} if shared is None else shared)
    members = [m for m in _members(conn, indicator.key, scope, evaluations)
               if scope.hub is None or m.hub == scope.hub]
    first = list({m.key: m for m in reversed(members)}.values())  # one row per member
    total = _counted(indicator, first)
    strata = {s.code: _stratify(indicator, s.code, first if s.partition else members, scope)
              for s in indicator.stratifiers if _wanted(s.code, scope.period)}
    return IndicatorFigures(total, strata)


def _wanted(code: str, period: ReportingPeriod) -> bool:
    """Period stratifiers finer than the report's period only."""
    finer = {"year": ("period-quarter", "period-month"), "quarter": ("period-month",),
             "month": ()}[period.kind]
    return not code.startswith("period-") or code in finer


def _stratify(indicator: Indicator, code: str, members: list[Member], scope: Scope
              ) -> dict[str, Counted]:
    groups: dict[str, list[Member]] = {}
    for member in members:
        groups.setdefault(_value(code, member, scope.base_url), []).append(member)
    return {value: _counted(indicator, group) for value, group in sorted(groups.items())}


def _value(code: str, member: Member, base_url: str) -> str:
    if code.startswith("period-"):
        return _period_code(code, member.day)
    value = getattr(member, code)
    if not value:
        return UNKNOWN
    return f"{base_url}/{value}" if code in ("hub", "program") else str(value)


def _period_code(code: str, day: str) -> str:
    if code == "period-year":
        return day[:4]
    if code == "period-quarter":
        return f"{day[:4]}-Q{(int(day[5:7]) - 1) // 3 + 1}"
    return day[:7]


def _counted(indicator: Indicator, members: list[Member]) -> Counted:
    """Distinct members; for an observation, the sum or median over them."""
    distinct: dict[str, Member] = {}
    for member in members:
        distinct.setdefault(member.key, member)
    values = [m.observation or 0.0 for m in distinct.values()]
    if indicator.method == "median":
        return Counted(len(distinct), median=statistics.median(values) if values else None)
    if indicator.carries_sum:
        return Counted(len(distinct), observation_sum=sum(values))
    return Counted(len(distinct))


# ---- counts, sums and proportions in SQL -------------------------------------------------


@dataclass(frozen=True)
class Counting:
    """How a key is counted: the members query it reads (keys naming the same ``family``
    read the same members, in one statement) and its ``Tally`` (distinct members, ...)."""

    family: str
    query: Callable[[str, str], Any]
    tally: Mapping[str, Any] = field(default_factory=dict)


# Spokes take their country and hub from the spoke Organization, and have no discipline.
_SPOKE = {"member": "spoke", "distinct": True, "where": {"spoke": None},
          "columns": {"country": "spoke_country", "hub": "spoke_hub", "discipline": None}}

_COUNTED: dict[str, Counting] = {
    "sessions-held": Counting("sessions", queries.sessions_held),
    "participant-hours": Counting("attendances", queries.attendances,
                                  {"observation": "observation"}),
    "unique-participants": Counting("attendances", queries.attendances,
                                    {"member": "role", "distinct": True}),
    "active-spokes": Counting("attendances", queries.attendances, _SPOKE),
    "active-rural-spokes": Counting("attendances", queries.attendances, {
        **_SPOKE, "where": {"spoke": None, "settlement": "rural"}}),
    "new-spokes": Counting("new-spokes", queries.first_affiliations, {"distinct": True}),
    "case-presentations": Counting("cases", queries.cases),
    "follow-up-presentations": Counting("follow-ups", partial(queries.cases, follow_ups=True)),
    "recommendations-given": Counting("recommendations", queries.recommendations),
    "attrition": Counting("attrition", queries.attrition, {"numerator": "observation"}),
}
_MEDIANS: dict[str, Callable[[str, str], Any]] = {
    "days-to-recommendation": queries.days_to_recommendation,
    "consultation-turnaround": queries.consultation_turnaround,
}


def _tallied(conn: Connection, indicator: Indicator, scope: Scope, shared: Shared
             ) -> IndicatorFigures:
    family = _COUNTED[indicator.key].family
    cache_key = (family, *scope.bounds, scope.hub)
    if cache_key not in shared:
        keys = [k for k, counting in _COUNTED.items() if counting.family == family]
        tallies = [queries.Tally(k, _stratifiers(k, scope.period), **_COUNTED[k].tally)
                   for k in keys]
        members = _COUNTED[indicator.key].query(*scope.bounds)
        shared[cache_key] = queries.tally(conn, members, tallies, scope.hub)
    return _figures_of(indicator, [c for c in shared[cache_key] if c.key == indicator.key],
                       scope)


def _stratifiers(key: str, period: ReportingPeriod) -> tuple[str, ...]:
    indicator = catalogue().by_key(key)
    return tuple(s.code for s in indicator.stratifiers if _wanted(s.code, period))


def _figures_of(indicator: Indicator, cells: list[queries.Cell], scope: Scope
                ) -> IndicatorFigures:
    total = next((c for c in cells if c.stratifier is None), None)
    strata: dict[str, dict[str, Counted]] = {
        code: {} for code in _stratifiers(indicator.key, scope.period)}
    for cell in cells:
        if cell.stratifier is None:
            continue
        value = _cell_value(cell.stratifier, cell.value, scope.base_url)
        found = strata[cell.stratifier].get(value)
        counted = _counted_cell(indicator, cell.count, cell.total)
        strata[cell.stratifier][value] = counted if found is None else _added(
            indicator, found, counted)
    figures = _counted_cell(indicator, total.count if total else 0, total.total if total else None)
    return IndicatorFigures(figures, {code: dict(sorted(values.items()))
                                      for code, values in strata.items()})


def _cell_value(code: str, value: str | None, base_url: str) -> str:
    if not value:
        return UNKNOWN
    return f"{base_url}/{value}" if code in ("hub", "program") else value


def _counted_cell(indicator: Indicator, count: int, summed: float | None) -> Counted:
    if indicator.scoring == "proportion":
        return Counted(count, numerator=int(summed or 0))
    if indicator.carries_sum:
        return Counted(count, observation_sum=float(summed or 0.0))
    return Counted(count)


def _added(indicator: Indicator, one: Counted, other: Counted) -> Counted:
    """Two cells that fall in the same stratum (an empty value and a missing one)."""
    return _counted_cell(indicator, one.count + other.count,
                         (one.numerator or one.observation_sum or 0)
                         + (other.numerator or other.observation_sum or 0))


# ---- members of the other keys ------------------------------------------------------------


def _members(conn: Connection, key: str, scope: Scope, evaluations: EvaluationSource
             ) -> list[Member]:
    if key in INSTRUMENT_OF:
        return _evaluation_members(conn, key, scope, evaluations)
    if key not in _MEDIANS:
        raise LookupError(f"indicator {key!r} has no query on this node")
    return [Member(*row) for row in queries.member_rows(conn, _MEDIANS[key](*scope.bounds))]


def evaluated_keys() -> frozenset[str]:
    """The indicator keys this node computes."""
    return frozenset(_COUNTED) | frozenset(_MEDIANS) | frozenset(INSTRUMENT_OF)


def _evaluation_members(conn: Connection, key: str, scope: Scope,
                        evaluations: EvaluationSource) -> list[Member]:
    pairs = [p for p in evaluations(conn, start=scope.period.start, end=scope.period.end,
                                    hub=scope.hub)
             if p.kind == INSTRUMENT_OF[key]]
    roles = facts.roles(conn, [p.role for p in pairs])
    programs = facts.programs(conn, [p.program for p in pairs if p.program])
    members = []
    for pair in pairs:
        country, discipline, settlement = roles.get(pair.role, (None, None, None))
        _, program_country, topic = programs.get(pair.program or "", (None, None, None))
        members.append(Member(
            f"{pair.instrument}|{pair.program}|{pair.cohort}|{pair.mentee_key}",
            pair.post - pair.pre, country or program_country, pair.hub, pair.program, topic,
            discipline, settlement, pair.completed.isoformat()))
    return members

