"""Engines and the one place where transactions are opened.

Every request, CLI command and sync page runs in exactly one ``transaction()``; services receive
its connection and never commit. Write transactions are serialized: on SQLite with
``BEGIN IMMEDIATE``, on PostgreSQL with a transaction-scoped advisory lock taken first. That makes
commit order equal ``resource_version.seq`` order, which is what lets history paging and
federation cursors promise never to skip or repeat a version while writes go on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

WRITE_LOCK_KEY = 7_330_001  # pg_advisory_xact_lock key that serializes writers


def create_engine(url: str, *, pool_size: int = 10, busy_timeout_ms: int = 30_000) -> Engine:
    """An engine whose transactions we open ourselves (see ``transaction``)."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, busy_timeout_ms)
    engine = sa.create_engine(url, pool_size=pool_size, max_overflow=pool_size,
                              pool_pre_ping=True)
    return engine


def _sqlite_engine(url: str, busy_timeout_ms: int) -> Engine:
    database = sa.engine.make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy stop the driver from issuing its own BEGIN; we issue ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.info.get("write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """One unit of work: committed if the block returns, rolled back if it raises."""
    with engine.connect() as conn:
        conn.info["write"] = write
        try:
            with conn.begin():
                if write and engine.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"),
                                 {"k": WRITE_LOCK_KEY})
                yield conn
        finally:
            conn.info.pop("write", None)


def is_write(conn: Connection) -> bool:
    return bool(conn.info.get("write"))
