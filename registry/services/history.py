"""History at instance, type and system level, paged by the server-issued version sequence.

Paging uses a cursor on ``resource_version.seq``, never an offset: because writers are
serialized, ``seq`` order is commit order, so a page boundary can neither skip a version that
commits later nor repeat one, however many writes happen while a client pages (the defect
offset-paged history has). Newest first by default, as the specification says;
``_sort=_lastUpdated`` pages oldest first, which is what a synchronizing peer wants.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registry.errors import InvalidRequest
from registry.services.context import Node
from registry.services.search.values import date_range
from registry.services.store import Stored
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


def parse_history_query(params: Mapping[str, list[str]], node: Node, *,
                        res_type: str | None = None, res_id: str | None = None) -> HistoryQuery:
    """Turn request parameters into a query; unknown parameters are ignored."""
    def one(name: str) -> str | None:
        values = params.get(name)
        return values[-1] if values else None

    sort = one("_sort")
    if sort not in (None, "_lastUpdated", "-_lastUpdated"):
        raise InvalidRequest("History _sort must be _lastUpdated or -_lastUpdated", "_sort")
    types = tuple(t for v in params.get("_type", []) for t in v.split(",") if t)
    for t in types:
        if not node.supports(t):
            raise InvalidRequest(f"Unknown resource type in _type: {t}", "_type")
    return HistoryQuery(
        res_type=res_type, res_id=res_id, types=types,
        since=_instant(one("_since"), "_since", low=True),
        at=_instant(one("_at"), "_at", low=False),
        count=_count(one("_count"), node),
        ascending=sort == "_lastUpdated",
        cursor=_int(one("_cursor"), "_cursor"),
    )


def _instant(value: str | None, name: str, *, low: bool) -> int | None:
    if value is None:
        return None
    span = date_range(value)
    if span is None:
        raise InvalidRequest(f"{name} must be a FHIR instant, got {value!r}", name)
    return span[0] if low else span[1]


def _count(value: str | None, node: Node) -> int:
    if value is None:
        return node.default_count
    number = _int(value, "_count")
    assert number is not None
    return max(0, min(number, node.max_count))


def _int(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    if not value.lstrip("-").isdigit():
        raise InvalidRequest(f"{name} must be an integer, got {value!r}", name)
    return int(value)


def history(conn: Connection, query: HistoryQuery,
            restriction: sa.ColumnElement[bool] | None = None) -> HistoryPage:
    """One page of versions matching ``query``, and the cursor of the next page.

    ``restriction`` (from the access layer) hides versions the caller may not see inside the
    query, so pages stay full and cursors stay exact. The high-water mark stays the node's:
    a peer that resumes from it can miss nothing it may see.
    """
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
