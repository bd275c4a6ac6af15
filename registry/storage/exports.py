"""Reads for bulk export: current resources of a type, in key order, a page at a time."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registry.storage.scope import Restriction, condition
from registry.storage.tables import resource, resource_version

PAGE = 1000
r = resource.c


def latest_change(conn: Connection) -> int:
    """lastUpdated of the newest version stored (0 for an empty store)."""
    return int(conn.execute(sa.select(sa.func.max(resource_version.c.last_updated))).scalar()
               or 0)


def exportable(conn: Connection, res_type: str, restriction: Restriction,
               since: int | None) -> Iterator[str]:
    """The JSON of every current ``res_type`` the restriction reaches, changed at or after
    ``since``; keyset pages, so memory stays bounded and no server-side cursor is needed."""
    stmt = sa.select(r.pk, r.content).where(r.res_type == res_type, r.deleted.is_(False))
    restricted = condition(restriction, r.pk)
    if restricted is not None:
        stmt = stmt.where(restricted)
    if since is not None:
        stmt = stmt.where(r.last_updated >= since)
    last = 0
    while True:
        rows = conn.execute(stmt.where(r.pk > last).order_by(r.pk).limit(PAGE)).all()
        yield from (row.content for row in rows)
        if len(rows) < PAGE:
            return
        last = rows[-1].pk
