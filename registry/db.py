"""Binds one SQLAlchemy engine to the Flask app and opens request transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy.engine import Connection, Engine

from registry.config import Settings
from registry.services.audit import AuditTrail
from registry.services.context import Node
from registry.storage.database import create_engine, transaction


def init_app(app: Flask) -> None:
    settings: Settings = app.config["REGISTRY"]
    app.extensions["registry.engine"] = create_engine(
        settings.database_url, pool_size=settings.database_pool_size,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        statement_timeout_ms=settings.statement_timeout_ms)


def engine() -> Engine:
    return current_app.extensions["registry.engine"]  # type: ignore[no-any-return]


def audit_trail() -> AuditTrail:
    """The audit trail of the current request or command (see ``registry.services.audit``)."""
    if "audit_trail" not in g:
        g.audit_trail = AuditTrail()
    return g.audit_trail  # type: ignore[no-any-return]


@contextmanager
def unit_of_work(*, write: bool) -> Iterator[Connection]:
    """The one transaction of the current request or command.

    A write's own AuditEvent is written with it (``ResourceStore.persist``). Other events
    recorded meanwhile (reads of case data, refusals) are written before a write transaction
    commits, or afterwards in a transaction of their own when the block only read or failed —
    the documented exception.
    """
    trail = audit_trail()
    try:
        with transaction(engine(), write=write) as conn:
            yield conn
            if write:
                trail.flush(conn, _node())
    finally:
        if trail.pending:
            flush_audit()


def flush_audit() -> None:
    """Write what the trail still holds in a transaction of its own."""
    trail = audit_trail()
    with transaction(engine(), write=True) as conn:
        trail.flush(conn, _node())


def _node() -> Node:
    return current_app.extensions["registry.node"]  # type: ignore[no-any-return]
