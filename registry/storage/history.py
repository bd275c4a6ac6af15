"""History at instance, type and system level, paged exactly while writers commit.

Why a cursor never skips or repeats a version, with writers running side by side:

- Every write transaction takes one time for all its versions (``resources.clock``), and
  times are strictly increasing in the order transactions take them. On PostgreSQL
  ``registry_write_stamp()`` hands them out under a brief lock and registers each transaction
  as *in flight* (a shared advisory lock keyed by its time) until it commits or rolls back.
- A reader asks for the *frontier* first (``registry_history_frontier()``): the time of the
  oldest transaction in flight, or, when none is, one past the last time handed out. Every
  version older than the frontier is final: its transaction has committed (or rolled back, and
  left nothing), and no transaction still to commit can ever write a version older than it,
  because times are handed out in increasing order and the in-flight one holds the frontier.
- Pages show only versions older than the frontier, ordered by (lastUpdated, seq), and the
  cursor is the (lastUpdated, seq) of the last version shown. A version that becomes visible
  later is newer than the frontier the earlier page was cut below, hence after its cursor: it
  is on a later page or pass, never skipped. The high-water mark given to a peer (the Bundle's
  ``meta.lastUpdated``) is the newest final version, read before the page, which shows nothing
  newer: a later ``_since`` (inclusive, as FHIR says) can miss nothing and repeats at most that
  one transaction's versions, which a peer de-duplicates by version id.
- A reader therefore waits for nothing; a long-running writer only delays the visibility of
  newer versions until it ends (bounded by the statement and idle-in-transaction time-outs).

SQLite has one writer at a time, who takes its time under the write lock: commit order is time
order, and every committed version is final; a page shows nothing newer than the high-water
mark read before it (each statement of a read sees its own snapshot). Newest first by default,
as the specification says; ``ascending`` pages oldest first, which is what a synchronizing peer
wants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registry.storage.resources import PEER_WITHDRAWAL
from registry.storage.rows import Stored
from registry.storage.scope import Reach, Restrictions, types_condition
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
    cursor: tuple[int, int] | None = None  # (lastUpdated, seq) of the last version shown


@dataclass(frozen=True)
class HistoryPage:
    versions: list[Stored]
    next_cursor: tuple[int, int] | None
    high_water: int | None  # lastUpdated of the newest final version of the node


def history(conn: Connection, query: HistoryQuery, restrictions: Restrictions,
            known_types: Sequence[str]) -> HistoryPage:
    """One page of versions matching ``query``, and the cursor of the next page.

    ``restrictions`` (the caller's, from the policy) hide versions the caller may not see
    inside the query, so pages stay full and cursors stay exact. The high-water mark stays the
    node's: a peer that resumes from it can miss nothing it may see.
    """
    restriction = _restriction(query, restrictions, known_types)
    frontier = _frontier(conn)
    high_water = _high_water(conn, frontier)  # first: the page can then show no newer version
    stmt = sa.select(rv.seq, rv.res_type, rv.res_id, rv.version, rv.last_updated, rv.method,
                     rv.content, rv.peer_view)
    if high_water is None:
        return HistoryPage([], None, None)
    stmt = stmt.where(rv.last_updated <= high_water)
    if restriction is not None:
        stmt = stmt.where(restriction)
    for condition in _conditions(query):
        stmt = stmt.where(condition)
    order = ((rv.last_updated.asc(), rv.seq.asc()) if query.ascending
             else (rv.last_updated.desc(), rv.seq.desc()))
    rows = conn.execute(stmt.order_by(*order).limit(query.count + 1)).all()
    more = len(rows) > query.count
    rows = rows[:query.count]
    published_only = {t for t in {r.res_type for r in rows}
                      if restrictions(t).reach is Reach.PUBLISHED}
    versions = [_withdrawal(r) if r.res_type in published_only and r.peer_view == WITHDRAWAL
                else Stored(r.res_type, r.res_id, r.version, r.last_updated,
                            r.method == "DELETE", r.content, r.method) for r in rows]
    next_cursor = (rows[-1].last_updated, rows[-1].seq) if more and rows else None
    return HistoryPage(versions, next_cursor, high_water)


WITHDRAWAL = PEER_WITHDRAWAL


def _withdrawal(r: Any) -> Stored:
    """A version that took the record out of a published-only caller's view: to that caller
    it is a deletion, with no resource (the withdrawal signal a peer acts on)."""
    return Stored(r.res_type, r.res_id, r.version, r.last_updated, True, None, "DELETE")


def _restriction(query: HistoryQuery, restrictions: Restrictions,
                 known_types: Sequence[str]) -> sa.ColumnElement[bool] | None:
    """Versions the caller may see. System history leaves the audit trail out unless
    ``_type`` asks for it: peers syncing the node's changes want data, not its log."""
    types = list(query.types) or ([query.res_type] if query.res_type else [
        t for t in known_types if t != "AuditEvent"])
    restriction = types_condition(restrictions, types, rv.res_type, rv.resource_pk,
                                  rv.peer_view)
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
        position = sa.tuple_(rv.last_updated, rv.seq)
        conditions.append(position > query.cursor if query.ascending
                          else position < query.cursor)
    return conditions


def _current_at(at: int) -> sa.ColumnElement[bool]:
    """Versions that were the current one at instant ``at``."""
    later = resource_version.alias("later")
    superseded = sa.exists().where(later.c.resource_pk == rv.resource_pk,
                                   later.c.version > rv.version,
                                   later.c.last_updated <= at)
    return sa.and_(rv.last_updated <= at, ~superseded)


FRONTIER = sa.text("SELECT registry_history_frontier()")


def _frontier(conn: Connection) -> int | None:
    """Below this time every version is final (see the module docstring); None on SQLite,
    where every committed version is."""
    if conn.dialect.name != "postgresql":
        return None
    return int(conn.execute(FRONTIER).scalar_one())


def _high_water(conn: Connection, frontier: int | None) -> int | None:
    """lastUpdated of the newest final version: where a peer resumes (``_since``)."""
    newest = sa.select(sa.func.max(rv.last_updated))
    if frontier is not None:
        newest = newest.where(rv.last_updated < frontier)
    found = conn.execute(newest).scalar()
    return None if found is None else int(found)
