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


# ---- stratum values of evaluation members ------------------------------------------------
#
# The evaluation keys' members come from the evaluations package; these give the strata of the
# roles and programs they name. The indicator queries are in ``registry.storage.indicators``.

F = outcome_fact


def _settlements() -> Any:
    """A spoke's site fact (its settlement in ``code``), joined on ``link`` = the spoke."""
    return F.alias("settlement_site")


def _site_of(site: Any, spoke: Any) -> Any:
    return sa.and_(site.c.kind == "site", site.c.link == spoke)


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
