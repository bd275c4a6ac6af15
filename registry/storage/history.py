"""History at instance, type and system level, paged by the server-issued version sequence.

Paging uses a cursor on ``resource_version.seq``, never an offset: because writers are
serialized, ``seq`` order is commit order, so a page boundary can neither skip a version that
commits later nor repeat one, however many writes happen while a client pages. Newest first by
default, as the specification says; ``ascending`` pages oldest first, which is what a
synchronizing peer wants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registry.storage.rows import Stored
from registry.storage.scope import Restrictions, types_condition
from registry.storage.tables import resource_version

rv = resource_version.c


@dataclass(frozen=True)
class HistoryQuery:
    res_type: str | None = None
    res_id: str | None = None
    types: tuple[str, ...] = ()
    since: int | None = None
    at: int | None = None
    count: int = 50
    ascending: bool = False
    cursor: int | None = None


@dataclass(frozen=True)
class HistoryPage:
    versions: list[Stored]
    next_cursor: int | None
    high_water: int | None  # lastUpdated of the newest version visible to this query


def history(conn: Connection, query: HistoryQuery, restrictions: Restrictions,
            known_types: Sequence[str]) -> HistoryPage:
    """One page of versions matching ``query``, and the cursor of the next page.

    ``restrictions`` (the caller's, from the policy) hide versions the caller may not see
    inside the query, so pages stay full and cursors stay exact. The high-water mark stays the
    node's: a peer that resumes from it can miss nothing it may see.
    """
    restriction = _restriction(query, restrictions, known_types)
    top_seq, high_water = _high_water(conn)
    stmt = sa.select(rv.seq, rv.res_type, rv.res_id, rv.version, rv.last_updated, rv.method,
                     rv.content).where(rv.seq <= top_seq)
    if restriction is not None:
        stmt = stmt.where(restriction)
    for condition in _conditions(query):
        stmt = stmt.where(condition)
    order = rv.seq.asc() if query.ascending else rv.seq.desc()
    rows = conn.execute(stmt.order_by(order).limit(query.count + 1)).all()
    more = len(rows) > query.count
    rows = rows[:query.count]
    versions = [Stored(r.res_type, r.res_id, r.version, r.last_updated, r.method == "DELETE",
                       r.content, r.method) for r in rows]
    next_cursor = rows[-1].seq if more and rows else None
    return HistoryPage(versions, next_cursor, high_water)


def _restriction(query: HistoryQuery, restrictions: Restrictions,
                 known_types: Sequence[str]) -> sa.ColumnElement[bool] | None:
    """Versions the caller may see. System history leaves the audit trail out unless
    ``_type`` asks for it: peers syncing the node's changes want data, not its log."""
    types = list(query.types) or ([query.res_type] if query.res_type else [
        t for t in known_types if t != "AuditEvent"])
    restriction = types_condition(restrictions, types, rv.res_type, rv.resource_pk)
    if query.res_type or query.types:
        return restriction
    no_audit = rv.res_type != "AuditEvent"
    return no_audit if restriction is None else sa.and_(no_audit, restriction)


def _conditions(query: HistoryQuery) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if query.res_type:
        conditions.append(rv.res_type == query.res_type)
    if query.res_id:
        conditions.append(rv.res_id == query.res_id)
    if query.types:
        conditions.append(rv.res_type.in_(query.types))
    if query.since is not None:
        conditions.append(rv.last_updated >= query.since)
    if query.at is not None:
        conditions.append(_current_at(query.at))
    if query.cursor is not None:
        conditions.append(rv.seq > query.cursor if query.ascending else rv.seq < query.cursor)
    return conditions


def _current_at(at: int) -> sa.ColumnElement[bool]:
    """Versions that were the current one at instant ``at``."""
    later = resource_version.alias("later")
    superseded = sa.exists().where(later.c.resource_pk == rv.resource_pk,
                                   later.c.version > rv.version,
                                   later.c.last_updated <= at)
    return sa.and_(rv.last_updated <= at, ~superseded)


def _high_water(conn: Connection) -> tuple[int, int | None]:
    """The newest committed version, read first so the page and the mark agree.

    Every version with a smaller ``seq`` is already committed (writers are serialized), so a
    client that later asks ``_since=<mark>`` cannot miss anything this page did not show.
    """
    row = conn.execute(
        sa.select(rv.seq, rv.last_updated).order_by(rv.seq.desc()).limit(1)).first()
    return (row.seq, row.last_updated) if row else (0, None)
