"""Fixed-window counters in the database: rate limits and failed sign-ins.

Counts must hold across gunicorn workers and restarts, so they live in a table, not in a
process. One statement adds hits and says how many the window holds: an upsert that starts
a new window when the stored one has ended. It runs in autocommit (it belongs to no unit of
work: a refused request must still be counted). On PostgreSQL the table is UNLOGGED
(migration 0003): counts need no crash safety, and a hit then costs no WAL flush.
"""

from __future__ import annotations

import random

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from registry.storage.tables import rate_counter

PURGE_CHANCE = 0.001  # of hits that also sweep windows ended a day ago
DAY_S = 86_400
c = rate_counter.c


def _upsert(dialect: str) -> sa.Insert:
    """Hits on a key: a new row, a new window, or more in the current window."""
    insert = postgresql.insert(rate_counter) if dialect == "postgresql" else sqlite.insert(
        rate_counter)
    ended = insert.excluded.window_end > c.window_end
    return insert.values(key=sa.bindparam("key"), window_end=sa.bindparam("window_end"),
                         hits=sa.bindparam("hits")).on_conflict_do_update(
        index_elements=[c.key],
        set_={"hits": sa.case((ended, insert.excluded.hits),
                              else_=c.hits + insert.excluded.hits),
              "window_end": sa.case((ended, insert.excluded.window_end), else_=c.window_end)},
    ).returning(c.hits)


UPSERT = {dialect: _upsert(dialect) for dialect in ("postgresql", "sqlite")}  # built once


def hit(conn: Connection, key: str, window_end: int, now: int, count: int = 1) -> int:
    """Count ``count`` hits on ``key`` in the window ending at ``window_end`` (seconds since
    the epoch); returns the hits in that window, these included."""
    found = conn.execute(UPSERT[conn.dialect.name],
                         {"key": key, "window_end": window_end, "hits": count})
    hits = int(found.scalar_one())
    if random.random() < PURGE_CHANCE:  # noqa: S311 - housekeeping, not security
        conn.execute(rate_counter.delete().where(c.window_end < now - DAY_S))
    return hits


def hits(conn: Connection, key: str, window_end: int) -> int:
    """Hits counted on ``key`` in the window ending at ``window_end`` (0 when none)."""
    found = conn.execute(sa.select(c.hits).where(c.key == key, c.window_end == window_end))
    return int(found.scalar() or 0)
