"""Indicator figures from the outcome facts: members in SQL, strata counted here.

Each indicator key (``schemas/measures/README.md``) has one storage query that gives its
members in the period with what the stratifiers need (``registry.storage.outcomes``); this
module turns them into the ``IndicatorFigures`` the report builder takes: distinct members per
stratum, sums and medians of their observations, one stratum per value (``unknown`` for a
member without one). The evaluation keys come from an ``EvaluationSource`` (the evaluations
package), so person-level responses are read where they live.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from registry.services.outcomes.measures import Indicator
from registry.services.outcomes.periods import ReportingPeriod
from registry.services.outcomes.reports import Counted, IndicatorFigures
from registry.storage import outcomes as facts
from registry.storage.database import Connection

UNKNOWN = "unknown"
ATTRIBUTES = ("country", "hub", "program", "topic", "discipline", "settlement")
# Which instrument of an evaluation pair each evaluation indicator counts.
INSTRUMENT_OF = {"knowledge-gain": "knowledge", "self-efficacy-change": "self-efficacy"}


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
            shared: dict[tuple[str, str, str], Any] | None = None) -> IndicatorFigures:
    """The total and strata of ``indicator`` over ``scope``. ``shared`` keeps query results
    that several indicators read (the attendances of the period) for one evaluation run."""
    members = [m for m in _members(conn, indicator.key, scope, evaluations,
                                   {} if shared is None else shared)
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


# ---- members of each key ------------------------------------------------------------------


def _members(conn: Connection, key: str, scope: Scope, evaluations: EvaluationSource,
             shared: dict[tuple[str, str, str], Any]) -> list[Member]:
    if key in INSTRUMENT_OF:
        return _evaluation_members(conn, key, scope, evaluations)
    if key not in _QUERIES and key not in _ATTENDANCE_KEYS:
        raise LookupError(f"indicator {key!r} has no query on this node")
    if key in _ATTENDANCE_KEYS:
        cache_key = ("attendances", *scope.bounds)
        if cache_key not in shared:
            shared[cache_key] = facts.attendances(conn, *scope.bounds)
        return _ATTENDANCE_KEYS[key](shared[cache_key])
    return _QUERIES[key](conn, *scope.bounds)


def _rows(rows: Iterable[Any]) -> list[Member]:
    return [Member(*row[:9]) for row in rows]


def _participant_hours(rows: list[tuple[Any, ...]]) -> list[Member]:
    return _rows(rows)


def _unique_participants(rows: list[tuple[Any, ...]]) -> list[Member]:
    return [Member(row[9], None, *row[2:9]) for row in rows]


def _active_spokes(rows: list[tuple[Any, ...]], rural: bool = False) -> list[Member]:
    found = [Member(row[10], None, row[11], row[12], row[4], row[5], None, row[7], row[8])
             for row in rows if row[10]]
    return [m for m in found if not rural or m.settlement == "rural"]


_ATTENDANCE_KEYS: dict[str, Callable[[list[tuple[Any, ...]]], list[Member]]] = {
    "participant-hours": _participant_hours,
    "unique-participants": _unique_participants,
    "active-spokes": _active_spokes,
    "active-rural-spokes": lambda rows: _active_spokes(rows, rural=True),
}


def _cases(conn: Connection, start: str, end: str, follow_ups: bool = False) -> list[Member]:
    return [Member(*row[:9]) for row in facts.cases(conn, start, end)
            if row[9] or not follow_ups]


_QUERIES: dict[str, Callable[[Connection, str, str], list[Member]]] = {
    "sessions-held": lambda c, s, e: _rows(facts.sessions_held(c, s, e)),
    "new-spokes": lambda c, s, e: _rows(facts.first_affiliations(c, s, e)),
    "case-presentations": _cases,
    "follow-up-presentations": lambda c, s, e: _cases(c, s, e, follow_ups=True),
    "recommendations-given": lambda c, s, e: _rows(facts.recommendations(c, s, e)),
    "days-to-recommendation": lambda c, s, e: _rows(facts.days_to_recommendation(c, s, e)),
}


def evaluated_keys() -> frozenset[str]:
    """The indicator keys this node computes."""
    return frozenset(_QUERIES) | frozenset(_ATTENDANCE_KEYS) | frozenset(INSTRUMENT_OF)


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

