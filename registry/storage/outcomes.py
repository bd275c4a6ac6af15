"""Outcome fact rows: stored with every write, read by the indicator queries.

Facts are replaced like index rows: a new version's facts replace the old version's in the
same transaction (a deletion leaves none), so the indicators always count current resources.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registry.storage.database import chunks
from registry.storage.tables import outcome_fact, outcome_release, outcome_report, resource

FACT_ROWS_PER_STATEMENT = 1_000
COLUMNS = ("kind", "item", "link", "link2", "code", "country", "at", "day", "value")


def store_facts(conn: Connection, writes: Sequence[tuple[int, list[dict[str, Any]], bool]]
                ) -> None:
    """Replace the facts of each (resource pk, fact rows, replaces an earlier version)."""
    replaced = [pk for pk, _, replaces in writes if replaces]
    for chunk in chunks(replaced):
        conn.execute(outcome_fact.delete().where(outcome_fact.c.resource_pk.in_(list(chunk))))
    batch = [{"resource_pk": pk, **{c: row.get(c) for c in COLUMNS}}
             for pk, facts, _ in writes for row in facts]
    for part in chunks(batch, FACT_ROWS_PER_STATEMENT):
        conn.execute(outcome_fact.insert(), list(part))


def current_of_types(conn: Connection, types: Sequence[str]) -> list[tuple[int, str]]:
    """(pk, content) of the current resources of ``types`` (to derive facts again)."""
    r = resource.c
    return [(row.pk, row.content) for row in conn.execute(
        sa.select(r.pk, r.content).where(r.res_type.in_(list(types)), r.deleted.is_(False))
        .order_by(r.pk))]


# ---- evaluated reports and the release ledger --------------------------------------------


def save_reports(conn: Connection, reports: Sequence[tuple[str, str, str, str]],
                 evaluated: int) -> None:
    """Store (measure, subject, period, content) as pending, replacing what was evaluated."""
    t = outcome_report.c
    for measure, subject, period, _ in reports:
        conn.execute(outcome_report.delete().where(t.measure == measure, t.subject == subject,
                                                   t.period == period))
    if reports:
        conn.execute(outcome_report.insert(), [
            {"measure": m, "subject": s, "period": p, "status": "pending",
             "evaluated": evaluated, "content": c} for m, s, p, c in reports])


def read_reports(conn: Connection, period: str, subject: str | None = None,
                 measure: str | None = None) -> list[tuple[str, str, str]]:
    """(subject, status, content) of the evaluated reports of a period."""
    t = outcome_report.c
    query = sa.select(t.subject, t.status, t.content).where(t.period == period)
    if subject is not None:
        query = query.where(t.subject == subject)
    if measure is not None:
        query = query.where(t.measure == measure)
    return [(row.subject, row.status, row.content)
            for row in conn.execute(query.order_by(t.subject, t.measure))]


def mark_complete(conn: Connection, period: str, subject: str) -> None:
    t = outcome_report.c
    conn.execute(outcome_report.update().where(t.period == period, t.subject == subject)
                 .values(status="complete"))


def latest_release(conn: Connection, period: str, subject: str, audience: str
                   ) -> tuple[str, str] | None:
    """(record JSON, content JSON) of the latest release of a period to an audience."""
    t = outcome_release.c
    row = conn.execute(sa.select(t.record, t.content)
                       .where(t.period == period, t.subject == subject, t.audience == audience)
                       .order_by(t.version.desc()).limit(1)).first()
    return None if row is None else (row.record, row.content)


def add_release(conn: Connection, *, period: str, subject: str, audience: str, exact: bool,
                version: int, released_at: int, record: str, content: str) -> None:
    conn.execute(outcome_release.insert().values(
        period=period, subject=subject, audience=audience, exact=exact, version=version,
        released_at=released_at, record=record, content=content))


def releases(conn: Connection, period: str | None = None) -> list[str]:
    """Every ledger record (JSON), oldest first."""
    t = outcome_release.c
    query = sa.select(t.record).order_by(t.pk)
    if period is not None:
        query = query.where(t.period == period)
    return [row.record for row in conn.execute(query)]


def released_content(conn: Connection, *, audience: str, period: str | None = None,
                     subject: str | None = None) -> list[str]:
    """The content (JSON list of reports) of the latest release of each period and subject
    to ``audience``."""
    t = outcome_release.c
    latest = (sa.select(t.period, t.subject, sa.func.max(t.version).label("version"))
              .where(t.audience == audience).group_by(t.period, t.subject).subquery())
    query = (sa.select(t.content).join(latest, sa.and_(
        latest.c.period == t.period, latest.c.subject == t.subject,
        latest.c.version == t.version)).where(t.audience == audience))
    if period is not None:
        query = query.where(t.period == period)
    if subject is not None:
        query = query.where(t.subject == subject)
    return [row.content for row in conn.execute(query.order_by(t.period, t.subject))]


# ---- indicator queries -------------------------------------------------------------------
#
# Each query gives the *members* of one indicator in a period, one row each, with what its
# stratifiers need: (member, observation, country, hub, program, topic, discipline,
# settlement, day). The service groups them by stratum; the joins are over fact rows only.

MEMBER_COLUMNS = ("member", "observation", "country", "hub", "program", "topic", "discipline",
                  "settlement", "day")
F = outcome_fact
Rows = list[tuple[Any, ...]]


def _settlements() -> Any:
    """A spoke's site fact (its settlement in ``code``), joined on ``link`` = the spoke.
    A spoke with several sites gives a member several rows; members are counted once."""
    return F.alias("settlement_site")


def _site_of(site: Any, spoke: Any) -> Any:
    return sa.and_(site.c.kind == "site", site.c.link == spoke)


def _session_joins(source: Any, session: Any, on: Any, *, outer: bool = True
                   ) -> tuple[Any, Any, Any]:
    """``source`` joined (flat, so the planner uses the indexes) to a session fact on ``on``,
    its program and the program's hub: (from clause, program, hub)."""
    program = F.alias("program")
    hub = F.alias("hub")
    joined = (source.outerjoin(session, on) if outer else source.join(session, on)) \
        if source is not session else source
    joined = (joined
              .outerjoin(program, sa.and_(program.c.kind == "program",
                                          program.c.item == session.c.link))
              .outerjoin(hub, sa.and_(hub.c.kind == "organization",
                                      hub.c.item == program.c.link)))
    return joined, program, hub


def _session_context(session: Any) -> tuple[Any, Any, Any]:
    return _session_joins(session, session, None)


def _in_period(fact: Any, start: str, end: str) -> Any:
    return sa.and_(fact.c.day >= start, fact.c.day <= end)


def sessions_held(conn: Connection, start: str, end: str) -> Rows:
    s = F.alias("session")
    joined, program, hub = _session_context(s)
    query = (sa.select(s.c.item, sa.null(), sa.func.coalesce(program.c.country, hub.c.country),
                       hub.c.item, s.c.link, sa.func.coalesce(s.c.code, program.c.code),
                       sa.null(), sa.null(), s.c.day)
             .select_from(joined).where(s.c.kind == "session", _in_period(s, start, end)))
    return [tuple(row) for row in conn.execute(query)]


def attendances(conn: Connection, start: str, end: str) -> Rows:
    """Spoke clinicians' attendances: (attendance, hours, role country, hub, program, topic,
    discipline, settlement, day, role, spoke, spoke country, spoke hub)."""
    a, s, role, spoke = F.alias("attendance"), F.alias("session"), F.alias("role"), \
        F.alias("spoke")
    settlement = _settlements()
    joined, program, hub = _session_joins(
        a, s, sa.and_(s.c.kind == "session", s.c.item == a.c.item), outer=False)
    joined = (joined
              .outerjoin(role, sa.and_(role.c.kind == "role", role.c.item == a.c.link))
              .outerjoin(spoke, sa.and_(spoke.c.kind == "organization",
                                        spoke.c.item == role.c.link))
              .outerjoin(settlement, _site_of(settlement, role.c.link)))
    query = (sa.select(a.c.item + "|" + a.c.link, a.c.value, role.c.country, hub.c.item, s.c.link,
                       sa.func.coalesce(s.c.code, program.c.code), role.c.code,
                       settlement.c.code, s.c.day, a.c.link, role.c.link, spoke.c.country,
                       spoke.c.link)
             .select_from(joined)
             .where(a.c.kind == "attendance", _in_period(a, start, end),
                    sa.func.coalesce(a.c.code, role.c.link2) == "clinician"))
    return [tuple(row) for row in conn.execute(query)]


def first_affiliations(conn: Connection, start: str, end: str) -> Rows:
    """Spokes whose earliest affiliation starts in the period: (spoke, None, country, hub,
    None, None, None, settlement, day)."""
    aff, spoke = F.alias("affiliation"), F.alias("spoke")
    settlement = _settlements()
    first = (sa.select(aff.c.link.label("spoke"), sa.func.min(aff.c.day).label("day"))
             .where(aff.c.kind == "affiliation", aff.c.day.is_not(None))
             .group_by(aff.c.link).subquery("first"))
    query = (sa.select(first.c.spoke, sa.null(), spoke.c.country, spoke.c.link, sa.null(),
                       sa.null(), sa.null(), settlement.c.code, first.c.day)
             .select_from(first
                          .outerjoin(spoke, sa.and_(spoke.c.kind == "organization",
                                                    spoke.c.item == first.c.spoke))
                          .outerjoin(settlement, _site_of(settlement, first.c.spoke)))
             .where(first.c.day >= start, first.c.day <= end))
    return [tuple(row) for row in conn.execute(query)]


def _case_day(case: Any, session: Any) -> Any:
    """A case is presented on its session's day (de-identification keeps only the year of
    ``Composition.date``); its own date counts only without a session."""
    return sa.func.coalesce(session.c.day, case.c.day)


def _case_in_period(case: Any, session: Any, start: str, end: str) -> Any:
    day = _case_day(case, session)
    return sa.and_(day >= start, day <= end)


def cases(conn: Connection, start: str, end: str) -> Rows:
    """Case presentations: (case, None, hub country, hub, program, topic, discipline,
    settlement, day, follow-up?)."""
    c, s, role = F.alias("case"), F.alias("session"), F.alias("role")
    settlement = _settlements()
    joined, program, hub = _session_joins(
        c, s, sa.and_(s.c.kind == "session", s.c.item == c.c.link2))
    source = (joined.outerjoin(role, sa.and_(role.c.kind == "role", role.c.item == c.c.link))
              .outerjoin(settlement, _site_of(settlement, role.c.link)))
    query = (sa.select(c.c.item, sa.null(), sa.func.coalesce(program.c.country, hub.c.country),
                       hub.c.item, s.c.link, sa.func.coalesce(s.c.code, program.c.code),
                       role.c.code, settlement.c.code, _case_day(c, s),
                       c.c.code == "follow-up")
             .select_from(source).where(c.c.kind == "case", _case_in_period(c, s, start, end)))
    return [tuple(row) for row in conn.execute(query)]


def recommendations(conn: Connection, start: str, end: str) -> Rows:
    """Recommendations sent in the period, with their session's and presenter's strata."""
    rec, c, s, role = F.alias("recommendation"), F.alias("case"), F.alias("session"), \
        F.alias("role")
    settlement = _settlements()
    joined, program, hub = _session_joins(
        rec.outerjoin(c, sa.and_(c.c.kind == "case", c.c.item == rec.c.link)), s,
        sa.and_(s.c.kind == "session", s.c.item == rec.c.link2))
    source = (joined.outerjoin(role, sa.and_(role.c.kind == "role", role.c.item == c.c.link))
              .outerjoin(settlement, _site_of(settlement, role.c.link)))
    query = (sa.select(rec.c.item, sa.null(), sa.func.coalesce(program.c.country, hub.c.country),
                       hub.c.item, s.c.link, sa.func.coalesce(s.c.code, program.c.code),
                       role.c.code, settlement.c.code, rec.c.day)
             .select_from(source)
             .where(rec.c.kind == "recommendation", _in_period(rec, start, end)))
    return [tuple(row) for row in conn.execute(query)]


def days_to_recommendation(conn: Connection, start: str, end: str) -> Rows:
    """Case presentations dated in the period that have a recommendation, with the days from
    the case's date to the earliest recommendation."""
    c, s, role, rec = F.alias("case"), F.alias("session"), F.alias("role"), \
        F.alias("recommendation")
    settlement = _settlements()
    earliest = (sa.select(rec.c.link.label("case"), sa.func.min(rec.c.at).label("at"))
                .where(rec.c.kind == "recommendation").group_by(rec.c.link)
                .subquery("earliest"))
    joined, program, hub = _session_joins(
        c.join(earliest, earliest.c.case == c.c.item), s,
        sa.and_(s.c.kind == "session", s.c.item == c.c.link2))
    source = (joined.outerjoin(role, sa.and_(role.c.kind == "role", role.c.item == c.c.link))
              .outerjoin(settlement, _site_of(settlement, role.c.link)))
    presented = sa.func.coalesce(s.c.at, c.c.at)
    days = sa.cast(earliest.c.at - presented, sa.Float) / 86_400_000_000.0
    query = (sa.select(c.c.item, days, sa.func.coalesce(program.c.country, hub.c.country),
                       hub.c.item, s.c.link, sa.func.coalesce(s.c.code, program.c.code),
                       role.c.code, settlement.c.code, _case_day(c, s))
             .select_from(source)
             .where(c.c.kind == "case", _case_in_period(c, s, start, end)))
    return [tuple(row) for row in conn.execute(query)]


def roles(conn: Connection, refs: Sequence[str]) -> dict[str, tuple[str | None, str | None,
                                                                     str | None]]:
    """(country, discipline, settlement) of the given PractitionerRoles."""
    role = F.alias("role")
    settlement = _settlements()
    found: dict[str, tuple[str | None, str | None, str | None]] = {}
    for chunk in chunks(sorted(set(refs))):
        rows = conn.execute(
            sa.select(role.c.item, role.c.country, role.c.code, settlement.c.code)
            .select_from(role.outerjoin(settlement, _site_of(settlement, role.c.link)))
            .where(role.c.kind == "role", role.c.item.in_(list(chunk))))
        found.update({row[0]: (row[1], row[2], row[3]) for row in rows})
    return found


def programs(conn: Connection, refs: Sequence[str]) -> dict[str, tuple[str | None, str | None,
                                                                        str | None]]:
    """(hub, country, topic) of the given HealthcareServices."""
    program, hub = F.alias("program"), F.alias("hub")
    found: dict[str, tuple[str | None, str | None, str | None]] = {}
    for chunk in chunks(sorted(set(refs))):
        rows = conn.execute(
            sa.select(program.c.item, program.c.link,
                      sa.func.coalesce(program.c.country, hub.c.country), program.c.code)
            .select_from(program.outerjoin(hub, sa.and_(hub.c.kind == "organization",
                                                        hub.c.item == program.c.link)))
            .where(program.c.kind == "program", program.c.item.in_(list(chunk))))
        found.update({row[0]: (row[1], row[2], row[3]) for row in rows})
    return found


def organizations(conn: Connection, refs: Sequence[str]) -> dict[str, str | None]:
    """The country of each given Organization."""
    org = F.alias("organization")
    rows = conn.execute(sa.select(org.c.item, org.c.country)
                        .where(org.c.kind == "organization", org.c.item.in_(list(refs))))
    return {row.item: row.country for row in rows}
