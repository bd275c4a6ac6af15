"""The hottest reads, sent straight to the driver on PostgreSQL.

SQLAlchemy Core spends about 120 µs around every execution of a statement it has already
compiled (cache key, execution context, result wrapping), against about 300 µs for the round
trip itself on the same 2-vCPU machine; on a read by key or a search page that is the largest
share of the request's time not spent in the database or HTTP. The statements run here are
built once (module constants, or shared per search shape) and compiled once per statement; on
PostgreSQL their SQL text and parameters then go to psycopg as SQLAlchemy would send them, and
psycopg prepares them server-side the same way. What the engine does around a statement is done
here too: its ``before_cursor_execute`` and ``after_cursor_execute`` listeners run (the
plan-mode switch is one; tracing and tests use them), with no execution context; and a database
error is raised as SQLAlchemy's, with the connection invalidated when the server dropped it
(``handle_error`` listeners are not called).

Anything this path cannot send exactly as SQLAlchemy would (a type that converts values, a
parameter rendered at execution time, another dialect, a connection outside a transaction
other than a read of ``transaction()``, which runs in autocommit) goes through
``Connection.execute`` instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from registry.storage.database import is_autocommit_read

COMPILED_STATEMENTS = 1_024  # statements kept compiled (search shapes are bounded too)
KEEP_CURSOR_ROWS = 64  # a cursor that fetched more is closed, not kept with its result
_CURSOR = "direct_cursor"  # conn.info: the cursor kept for this database connection


def fetch_all(conn: Connection, statement: sa.Select[Any],
              params: Mapping[str, Any]) -> Sequence[tuple[Any, ...]]:
    """Every row of ``statement`` with ``params`` bound, as tuples of column values."""
    sql = _driver_sql(statement, conn.dialect) if conn.dialect.name == "postgresql" else None
    if sql is None or not (conn.in_transaction() or is_autocommit_read(conn)):
        return [tuple(row) for row in conn.execute(statement, dict(params))]
    cursor = _kept_cursor(conn)
    text, values = sql.text, {**sql.defaults, **params}
    for before in conn.dispatch.before_cursor_execute:  # the plan-mode switch is one
        text, values = before(conn, cursor, text, values, None, False)
    try:
        cursor.execute(text, values)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        for after in conn.dispatch.after_cursor_execute:
            after(conn, cursor, text, values, None, False)
    except conn.dialect.loaded_dbapi.Error as exc:
        _drop_cursor(conn, cursor)  # before the translation may invalidate the connection
        raise _translated(conn, text, exc) from exc
    except BaseException:
        _drop_cursor(conn, cursor)
        raise
    if len(rows) > KEEP_CURSOR_ROWS:
        _drop_cursor(conn, cursor)
    return rows


def fetch_first(conn: Connection, statement: sa.Select[Any],
                params: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The first row of ``statement``, or None (for look-ups by a unique key)."""
    rows = fetch_all(conn, statement, params)
    return rows[0] if rows else None


def _kept_cursor(conn: Connection) -> Any:
    """The driver cursor kept for this database connection, or a new one.

    A psycopg cursor looks up how to dump each parameter type and load each result column
    type once and keeps the answers (its transformer's caches); a new cursor per statement
    looked them up again every time, about 15 µs of a read's 80. The cursor lives in the
    connection's ``info``, which SQLAlchemy clears when the connection is closed or
    invalidated; it keeps its last result until the next statement, so only a small one
    (``KEEP_CURSOR_ROWS``) is left in it.
    """
    driver = conn.connection.driver_connection
    cursor = conn.info.get(_CURSOR)
    if cursor is None or cursor.closed or cursor.connection is not driver:
        cursor = conn.info[_CURSOR] = driver.cursor()
    return cursor


def _drop_cursor(conn: Connection, cursor: Any) -> None:
    conn.info.pop(_CURSOR, None)
    cursor.close()


class DriverSql:
    """A statement as the driver receives it: its text and the values it binds itself."""

    __slots__ = ("text", "defaults")

    def __init__(self, text: str, defaults: dict[str, Any]) -> None:
        self.text = text
        self.defaults = defaults  # values built into the statement, e.g. ``param = 'name'``


@lru_cache(maxsize=COMPILED_STATEMENTS)
def _driver_sql(statement: sa.Select[Any], dialect: Dialect) -> DriverSql | None:
    """The statement's SQL for the driver, or None when SQLAlchemy would change its values.

    Keyed by the statement object itself (a ``Select`` hashes and compares by identity), so
    only statements built once belong here.
    """
    compiled = statement.compile(dialect=dialect)
    if compiled.positional or compiled.escaped_bind_names or "POSTCOMPILE" in compiled.string:
        return None
    converts_values = any(
        bind.type.dialect_impl(dialect).bind_processor(dialect) is not None
        for bind in compiled.binds.values())
    converts_results = any(
        column.type.dialect_impl(dialect).result_processor(dialect, None) is not None
        for column in statement.selected_columns)
    if converts_values or converts_results:
        return None
    required = {compiled.bind_names[bind] for bind in compiled.binds.values() if bind.required}
    defaults = {name: value for name, value in compiled.params.items() if name not in required}
    return DriverSql(compiled.string, defaults)


def _translated(conn: Connection, text: str, exc: Exception) -> sa.exc.DBAPIError:
    """The error SQLAlchemy would raise; a dropped connection is invalidated, as it would be."""
    dbapi = conn.dialect.loaded_dbapi
    dropped = conn.dialect.is_disconnect(exc, conn.connection.driver_connection, None)
    if dropped:
        conn.invalidate(exc)
    return sa.exc.DBAPIError.instance(text, None, exc, dbapi.Error,
                                      hide_parameters=conn.engine.hide_parameters,
                                      dialect=conn.dialect, connection_invalidated=dropped)
