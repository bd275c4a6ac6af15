"""The dashboard's activity and case tables, grouped in SQL over the outcome facts kept on
write (``registry.services.outcomes.facts``): the same rows the indicators count, restricted
to what the caller may read, so a page never parses resource JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from registry.storage.database import Connection, chunks
from registry.storage.scope import Restrictions, sql_scope
from registry.storage.search.criteria import unindexed
from registry.storage.tables import evaluation_score, outcome_fact, outcome_release

F = outcome_fact
MICROSECONDS_A_DAY = 86_400_000_000.0
# (first day, last day) as YYYY-MM-DD, both included; None: every day.
Days = tuple[str, str] | None


def sessions(conn: Connection, restrictions: Restrictions, days: Days,
             programs: Sequence[str] | None = None) -> list[tuple[Any, ...]]:
    """Sessions and participant-hours per (month, program, topic): one row each."""
    s, a = F.alias("session"), F.alias("attendance")
    month = sa.func.substr(s.c.day, 1, 7)
    hours = (sa.select(sa.func.coalesce(sa.func.sum(a.c.value), 0.0))
             .where(a.c.kind == "attendance", a.c.item == s.c.item)
             .correlate(s).scalar_subquery())
    conditions = [s.c.kind == "session", *_within(s, days),
                  *_scoped(restrictions, "Encounter", s)]
    if programs is not None:
        conditions.append(s.c.link.in_(list(programs)))
    per_session = (sa.select(month.label("month"), s.c.link.label("program"),
                             s.c.code.label("topic"), hours.label("hours"))
                   .where(*conditions).subquery("per_session"))
    p = per_session.c
    query = (sa.select(p.month, p.program, p.topic, sa.func.count(), sa.func.sum(p.hours))
             .group_by(p.month, p.program, p.topic).order_by(p.month))
    return [tuple(row) for row in conn.execute(query)]


def cases(conn: Connection, restrictions: Restrictions, days: Days
          ) -> list[tuple[Any, ...]]:
    """Case presentations per (month, first or follow-up), dated by their session's day."""
    c, s = F.alias("case"), F.alias("session")
    day = sa.func.coalesce(s.c.day, c.c.day)
    month = sa.func.substr(day, 1, 7)
    query = (sa.select(month, c.c.code, sa.func.count())
             .select_from(c.outerjoin(s, sa.and_(s.c.kind == "session",
                                                 s.c.item == c.c.link2)))
             .where(c.c.kind == "case", *_between(day, days),
                    *_scoped(restrictions, "Composition", c))
             .group_by(month, c.c.code))
    return [tuple(row) for row in conn.execute(query)]


def recommendations(conn: Connection, restrictions: Restrictions, days: Days
                    ) -> list[tuple[Any, ...]]:
    """Recommendations sent per month."""
    rec = F.alias("recommendation")
    month = sa.func.substr(rec.c.day, 1, 7)
    query = (sa.select(month, sa.func.count())
             .where(rec.c.kind == "recommendation", *_within(rec, days),
                    *_scoped(restrictions, "Communication", rec))
             .group_by(month))
    return [tuple(row) for row in conn.execute(query)]


def waits(conn: Connection, restrictions: Restrictions, days: Days) -> list[float]:
    """Days from each answered presentation in ``days`` to its first recommendation."""
    c, s, rec = F.alias("case"), F.alias("session"), F.alias("recommendation")
    earliest = (sa.select(rec.c.link.label("case"), sa.func.min(rec.c.at).label("at"))
                .where(rec.c.kind == "recommendation",
                       *_scoped(restrictions, "Communication", rec))
                .group_by(rec.c.link).subquery("earliest"))
    day = sa.func.coalesce(s.c.day, c.c.day)
    presented = sa.func.coalesce(s.c.at, c.c.at)
    query = (sa.select(sa.cast(earliest.c.at - presented, sa.Float) / MICROSECONDS_A_DAY)
             .select_from(c.join(earliest, earliest.c.case == c.c.item)
                          .outerjoin(s, sa.and_(s.c.kind == "session",
                                                s.c.item == c.c.link2)))
             .where(c.c.kind == "case", presented.is_not(None), *_between(day, days),
                    *_scoped(restrictions, "Composition", c)))
    return [max(float(wait), 0.0) for (wait,) in conn.execute(query)]




def _within(fact: Any, days: Days) -> list[sa.ColumnElement[bool]]:
    return _between(fact.c.day, days)


def _between(day: Any, days: Days) -> list[sa.ColumnElement[bool]]:
    return [] if days is None else [day >= days[0], day <= days[1]]


def _scoped(restrictions: Restrictions, res_type: str, fact: Any
            ) -> list[sa.ColumnElement[bool]]:
    condition = sql_scope(restrictions)(res_type, fact.c.resource_pk)
    return [] if condition is None else [condition]


def released_periods(conn: Connection, audience: str) -> list[str]:
    """The periods released to ``audience``."""
    t = outcome_release.c
    return [row.period for row in conn.execute(
        sa.select(t.period).where(t.audience == audience).distinct())]


def paired_sums(conn: Connection, programs: Sequence[str]) -> list[tuple[Any, ...]]:
    """Per program (``HealthcareService/ID``) and instrument, the sums of its matched
    mentees' scores: (program, instrument, n, sum of pre, sum of post, sum of changes, sum of
    squared changes). Matched as ``evaluations.pairing.pair`` matches: each mentee's latest
    pre and latest post response (by authored date, then response id). A deleted response
    has no score row (the scoring step removes it with the deletion)."""
    s = evaluation_score.c
    found: list[tuple[Any, ...]] = []
    for chunk in chunks(list(programs)):
        rank = sa.func.row_number().over(
            partition_by=(s.program, s.instrument, s.mentee, s.phase),
            order_by=(s.authored.desc(), s.response_id.desc()))
        latest = (sa.select(s.program, s.instrument, s.mentee, s.phase, s.score,
                            rank.label("rank"))
                  .where(unindexed(s.program).in_(list(chunk)))
                  .subquery("latest"))
        mentees = (sa.select(latest.c.program, latest.c.instrument,
                             _score_of(latest, "pre").label("pre"),
                             _score_of(latest, "post").label("post"))
                   .where(latest.c.rank == 1)
                   .group_by(latest.c.program, latest.c.instrument, latest.c.mentee)
                   .subquery("mentees"))
        m = mentees.c
        change = m.post - m.pre
        query = (sa.select(m.program, m.instrument, sa.func.count(), sa.func.sum(m.pre),
                           sa.func.sum(m.post), sa.func.sum(change), sa.func.sum(change * change))
                 .where(m.pre.is_not(None), m.post.is_not(None))
                 .group_by(m.program, m.instrument).order_by(m.program, m.instrument))
        found += [tuple(row) for row in conn.execute(query)]
    return found


def _score_of(latest: Any, phase: str) -> sa.ColumnElement[Any]:
    """A mentee's latest score of ``phase`` (one row of each phase ranks first)."""
    return sa.func.max(sa.case((latest.c.phase == phase, latest.c.score)))
