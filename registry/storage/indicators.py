"""Indicator queries over the outcome facts: each indicator's members, and their figures.

A *members* query gives one row per member of an indicator in a period with what its
stratifiers need (labelled columns; ``MEMBER_COLUMNS`` for the plain ones). ``tally`` counts
them in SQL: one statement per query, the members materialised once, then one ``GROUP BY``
per stratifier and the total, so only a few rows per stratum reach Python. Medians (no SQL
function on SQLite) and the evaluation keys are figured from member rows by the service.
The joins are over fact rows only (``outcome_fact``), never over resource JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registry.storage.tables import outcome_fact

F = outcome_fact
MEMBER_COLUMNS = ("member", "observation", "country", "hub", "program", "topic", "discipline",
                  "settlement", "day")
Rows = list[tuple[Any, ...]]


# ---- shared joins -------------------------------------------------------------------------


def _settlements() -> Any:
    """One settlement per spoke (the first by code, when its sites differ), so that every
    member has exactly one row however many sites its spoke has."""
    return (sa.select(F.c.link.label("spoke"), sa.func.min(F.c.code).label("code"))
            .where(F.c.kind == "site").group_by(F.c.link).subquery("settlement"))


def _program_context(source: Any, program_ref: Any) -> tuple[Any, Any, Any]:
    """``source`` joined to the program fact of ``program_ref`` and its hub's organization
    fact: (from clause, program, hub)."""
    program, hub = F.alias("program"), F.alias("hub")
    joined = (source
              .outerjoin(program, sa.and_(program.c.kind == "program",
                                          program.c.item == program_ref))
              .outerjoin(hub, sa.and_(hub.c.kind == "organization",
                                      hub.c.item == program.c.link)))
    return joined, program, hub


def _in_period(day: Any, start: str, end: str) -> Any:
    return sa.and_(day >= start, day <= end)


def _members(member: Any, observation: Any, country: Any, hub: Any, program: Any, topic: Any,
             discipline: Any, settlement: Any, day: Any) -> list[Any]:
    values = (member, observation, country, hub, program, topic, discipline, settlement, day)
    return [sa.cast(v, sa.Float).label(n) if n == "observation" and v is None
            else (sa.null() if v is None else v).label(n)
            for n, v in zip(MEMBER_COLUMNS, values, strict=True)]


# ---- members of each indicator ------------------------------------------------------------


def sessions_held(start: str, end: str) -> sa.Select[Any]:
    s = F.alias("session")
    joined, program, hub = _program_context(s, s.c.link)
    return (sa.select(*_members(s.c.item, None, sa.func.coalesce(program.c.country, hub.c.country),
                                hub.c.item, s.c.link, sa.func.coalesce(s.c.code, program.c.code),
                                None, None, s.c.day))
            .select_from(joined).where(s.c.kind == "session", _in_period(s.c.day, start, end)))


def attendances(start: str, end: str) -> sa.Select[Any]:
    """Spoke clinicians' attendances at sessions in the period, with the attending role, its
    spoke and the spoke's country and hub (``partOf``) beside the plain member columns."""
    a, s, role, spoke = F.alias("attendance"), F.alias("session"), F.alias("role"), \
        F.alias("spoke")
    settlement = _settlements()
    source = a.join(s, sa.and_(s.c.kind == "session", s.c.item == a.c.item))
    joined, program, hub = _program_context(source, s.c.link)
    joined = (joined
              .outerjoin(role, sa.and_(role.c.kind == "role", role.c.item == a.c.link))
              .outerjoin(spoke, sa.and_(spoke.c.kind == "organization",
                                        spoke.c.item == role.c.link))
              .outerjoin(settlement, settlement.c.spoke == role.c.link))
    return (sa.select(*_members(a.c.item + "|" + a.c.link, a.c.value, role.c.country, hub.c.item,
                                s.c.link, sa.func.coalesce(s.c.code, program.c.code),
                                role.c.code, settlement.c.code, s.c.day),
                      a.c.link.label("role"), role.c.link.label("spoke"),
                      spoke.c.country.label("spoke_country"), spoke.c.link.label("spoke_hub"))
            .select_from(joined)
            .where(a.c.kind == "attendance", _in_period(a.c.day, start, end),
                   sa.func.coalesce(a.c.code, role.c.link2) == "clinician"))


def first_affiliations(start: str, end: str) -> sa.Select[Any]:
    """Spokes whose earliest affiliation starts in the period (hub: the spoke's ``partOf``)."""
    aff, spoke = F.alias("affiliation"), F.alias("spoke")
    settlement = _settlements()
    first = (sa.select(aff.c.link.label("spoke"), sa.func.min(aff.c.day).label("day"))
             .where(aff.c.kind == "affiliation", aff.c.day.is_not(None))
             .group_by(aff.c.link).subquery("first"))
    source = (first.outerjoin(spoke, sa.and_(spoke.c.kind == "organization",
                                             spoke.c.item == first.c.spoke))
              .outerjoin(settlement, settlement.c.spoke == first.c.spoke))
    return (sa.select(*_members(first.c.spoke, None, spoke.c.country, spoke.c.link, None, None,
                                None, settlement.c.code, first.c.day))
            .select_from(source).where(_in_period(first.c.day, start, end)))


def _case_day(case: Any, session: Any) -> Any:
    """A case is presented on its session's day (de-identification keeps only the year of
    ``Composition.date``); its own date counts only without a session."""
    return sa.func.coalesce(session.c.day, case.c.day)


def cases(start: str, end: str, follow_ups: bool = False) -> sa.Select[Any]:
    """Case presentations (all, or the follow-ups), stratified by their session and
    presenter."""
    c, s, role = F.alias("case"), F.alias("session"), F.alias("role")
    settlement = _settlements()
    source = c.outerjoin(s, sa.and_(s.c.kind == "session", s.c.item == c.c.link2))
    joined, program, hub = _program_context(source, s.c.link)
    joined = (joined.outerjoin(role, sa.and_(role.c.kind == "role", role.c.item == c.c.link))
              .outerjoin(settlement, settlement.c.spoke == role.c.link))
    day = _case_day(c, s)
    query = (sa.select(*_members(c.c.item, None,
                                 sa.func.coalesce(program.c.country, hub.c.country), hub.c.item,
                                 s.c.link, sa.func.coalesce(s.c.code, program.c.code),
                                 role.c.code, settlement.c.code, day))
             .select_from(joined).where(c.c.kind == "case", _in_period(day, start, end)))
    return query.where(c.c.code == "follow-up") if follow_ups else query


def recommendations(start: str, end: str) -> sa.Select[Any]:
    """Recommendations sent in the period, with their session's and presenter's strata."""
    rec, c, s, role = F.alias("recommendation"), F.alias("case"), F.alias("session"), \
        F.alias("role")
    settlement = _settlements()
    source = (rec.outerjoin(c, sa.and_(c.c.kind == "case", c.c.item == rec.c.link))
              .outerjoin(s, sa.and_(s.c.kind == "session", s.c.item == rec.c.link2)))
    joined, program, hub = _program_context(source, s.c.link)
    joined = (joined.outerjoin(role, sa.and_(role.c.kind == "role", role.c.item == c.c.link))
              .outerjoin(settlement, settlement.c.spoke == role.c.link))
    return (sa.select(*_members(rec.c.item, None,
                                sa.func.coalesce(program.c.country, hub.c.country), hub.c.item,
                                s.c.link, sa.func.coalesce(s.c.code, program.c.code),
                                role.c.code, settlement.c.code, rec.c.day))
            .select_from(joined)
            .where(rec.c.kind == "recommendation", _in_period(rec.c.day, start, end)))


def days_to_recommendation(start: str, end: str) -> sa.Select[Any]:
    """Case presentations in the period that have a recommendation, with the days from the
    case's date to the earliest recommendation."""
    c, s, role, rec = F.alias("case"), F.alias("session"), F.alias("role"), \
        F.alias("recommendation")
    settlement = _settlements()
    earliest = (sa.select(rec.c.link.label("case"), sa.func.min(rec.c.at).label("at"))
                .where(rec.c.kind == "recommendation").group_by(rec.c.link)
                .subquery("earliest"))
    source = (c.join(earliest, earliest.c.case == c.c.item)
              .outerjoin(s, sa.and_(s.c.kind == "session", s.c.item == c.c.link2)))
    joined, program, hub = _program_context(source, s.c.link)
    joined = (joined.outerjoin(role, sa.and_(role.c.kind == "role", role.c.item == c.c.link))
              .outerjoin(settlement, settlement.c.spoke == role.c.link))
    presented = sa.func.coalesce(s.c.at, c.c.at)
    days = sa.cast(earliest.c.at - presented, sa.Float) / 86_400_000_000.0
    day = _case_day(c, s)
    return (sa.select(*_members(c.c.item, days,
                                sa.func.coalesce(program.c.country, hub.c.country), hub.c.item,
                                s.c.link, sa.func.coalesce(s.c.code, program.c.code),
                                role.c.code, settlement.c.code, day))
            .select_from(joined).where(c.c.kind == "case", _in_period(day, start, end)))


def consultation_turnaround(start: str, end: str) -> sa.Select[Any]:
    """Consultations first answered in the period, with the days from asking to that answer
    (the consultation rule: ``registry.services.consultation``), by the requester's strata."""
    c, answer, role = F.alias("consultation"), F.alias("answer"), F.alias("role")
    settlement = _settlements()
    first = (sa.select(answer.c.link.label("request"), sa.func.min(answer.c.at).label("at"),
                       sa.func.min(answer.c.day).label("day"))
             .where(answer.c.kind == "answer").group_by(answer.c.link).subquery("first"))
    source = (c.join(first, first.c.request == c.c.item)
              .outerjoin(role, sa.and_(role.c.kind == "role", role.c.item == c.c.link))
              .outerjoin(settlement, settlement.c.spoke == role.c.link))
    days = sa.cast(first.c.at - c.c.at, sa.Float) / 86_400_000_000.0
    return (sa.select(*_members(c.c.item, days, role.c.country, c.c.link2, None, c.c.code,
                                role.c.code, settlement.c.code, first.c.day))
            .select_from(source)
            .where(c.c.kind == "consultation", _in_period(first.c.day, start, end)))


def attrition(start: str, end: str) -> sa.Select[Any]:
    """Mentees of a program's active cohorts, the program holding a session in the period,
    who attended one of its sessions before the period; observation 1 for those who attended
    none in it (the numerator), else 0."""
    cohort, role = F.alias("cohort"), F.alias("role")
    settlement = _settlements()
    members = (sa.select(cohort.c.link.label("role"), cohort.c.link2.label("program"))
               .where(cohort.c.kind == "member").distinct().subquery("members"))
    held = F.alias("held")
    holds = (sa.select(held.c.item).where(held.c.kind == "session",
                                          held.c.link == members.c.program,
                                          _in_period(held.c.day, start, end)).exists())
    joined, program, hub = _program_context(
        members.outerjoin(role, sa.and_(role.c.kind == "role", role.c.item == members.c.role))
        .outerjoin(settlement, settlement.c.spoke == role.c.link), members.c.program)
    dropped = sa.case((_attended(members, start, end), 0), else_=1)
    return (sa.select(*_members(members.c.role + "|" + members.c.program, dropped,
                                role.c.country, hub.c.item, members.c.program, program.c.code,
                                role.c.code, settlement.c.code, sa.literal(start)))
            .select_from(joined)
            .where(holds, _attended(members, None, _day_before(start))))


def _attended(members: Any, start: str | None, end: str) -> Any:
    """Whether the member attended a session of the program on a day up to ``end`` (from
    ``start``, when given)."""
    a, s = F.alias("attended"), F.alias("attended_session")
    days = [a.c.day <= end] if start is None else [a.c.day >= start, a.c.day <= end]
    return (sa.select(a.c.item).select_from(a.join(s, sa.and_(s.c.kind == "session",
                                                               s.c.item == a.c.item)))
            .where(a.c.kind == "attendance", a.c.link == members.c.role,
                   s.c.link == members.c.program, *days).exists())


def _day_before(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def member_rows(conn: Connection, members: sa.Select[Any]) -> Rows:
    """The plain member columns of a members query, one tuple per row."""
    sub = members.subquery("members")
    return [tuple(row) for row in conn.execute(
        sa.select(*(sub.c[name] for name in MEMBER_COLUMNS)))]


# ---- figures in SQL -----------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """How one indicator counts the rows of a members query.

    ``columns`` names the members column of a stratum attribute where it is not the
    attribute's own (``{"country": "spoke_country"}``); an attribute mapped to ``None`` has
    no value (its stratum is unknown). ``where`` keeps only rows whose column equals the value
    (``None``: is not null). ``distinct`` counts distinct members, else rows; ``observation``
    is summed when given, ``numerator`` is the column summed as a proportion's numerator.
    """

    key: str
    stratifiers: tuple[str, ...]
    member: str = "member"
    columns: Mapping[str, str | None] = field(default_factory=dict)
    where: Mapping[str, str | None] = field(default_factory=dict)
    distinct: bool = False
    observation: str | None = None
    numerator: str | None = None


@dataclass(frozen=True)
class Cell:
    """The figures of one indicator for the total (``stratifier`` None) or one stratum."""

    key: str
    stratifier: str | None
    value: str | None
    count: int
    total: float | None


def tally(conn: Connection, members: sa.Select[Any], tallies: Sequence[Tally],
          hub: str | None = None) -> list[Cell]:
    """Every tally's total and strata over ``members`` (materialised once), in one statement;
    with ``hub``, only the members whose hub column is that hub."""
    m = members.cte("members").prefix_with("MATERIALIZED")
    parts = [part for t in tallies for part in _parts(m, t, hub)]
    if not parts:
        return []
    return [Cell(row[0], row[1], row[2], int(row[3] or 0), row[4])
            for row in conn.execute(sa.union_all(*parts))]


def _parts(m: Any, t: Tally, hub: str | None) -> list[sa.Select[Any]]:
    def column(attribute: str) -> Any:
        name = t.columns.get(attribute, attribute)
        return sa.cast(sa.null(), sa.String) if name is None else m.c[name]

    member = m.c[t.member]
    count = sa.func.count(sa.distinct(member)) if t.distinct else sa.func.count(member)
    summed = t.observation or t.numerator
    total = (sa.cast(sa.func.sum(m.c[summed]), sa.Float) if summed
             else sa.cast(sa.null(), sa.Float))
    conditions = [m.c[c] == v if v is not None else m.c[c].is_not(None)
                  for c, v in t.where.items()]
    if hub is not None:
        conditions.append(column("hub") == hub)
    key = sa.cast(sa.literal(t.key), sa.String)
    parts = [sa.select(key, sa.cast(sa.null(), sa.String), sa.cast(sa.null(), sa.String),
                       count, total).where(*conditions)]
    for code in t.stratifiers:
        value = _period_value(code, m.c.day) if code.startswith("period-") else column(code)
        parts.append(sa.select(key, sa.cast(sa.literal(code), sa.String), value, count, total)
                     .where(*conditions).group_by(value))
    return parts


def _period_value(code: str, day: Any) -> Any:
    year = sa.func.substr(day, 1, 4)
    if code == "period-year":
        return year
    if code == "period-month":
        return sa.func.substr(day, 1, 7)
    month = sa.cast(sa.func.substr(day, 6, 2), sa.Integer)
    return year + "-Q" + sa.cast((month + 2) // 3, sa.String)
