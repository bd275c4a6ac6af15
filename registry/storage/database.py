"""Engines and the one place where transactions are opened.

Every request, CLI command and sync page runs in exactly one ``transaction()``; services receive
its connection and never commit. On SQLite write transactions are serialized (``BEGIN
IMMEDIATE``: it has one writer). On PostgreSQL writers run side by side, locking only the rows
they change; history paging stays exact through the frontier of ``registry.storage.history``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection as Connection  # re-exported: services type with it
from sqlalchemy.engine import Engine as Engine  # re-exported likewise
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from registry.storage.deadlines import TransactionTooLong, bound_transactions, bound_waits

CONDITION_LOCKS = 7_330_002  # advisory-lock class of conditional creates (see lock_condition)
LIST_CHUNK = 500  # values bound into one IN list (SQLite binds each as its own parameter)
T = TypeVar("T")
_ONE_PLAN_BLOCK = "one_plan_block"  # conn.info: statements now run in a block that fits
_PLAN_MODE = "plan_cache_mode"  # conn.info: the session's mode, kept as long as its connection
_AUTO, _GENERIC = "auto", "force_generic_plan"


def create_engine(url: str, *, pool_size: int = 10, busy_timeout_ms: int = 30_000,
                  statement_timeout_ms: int = 0, connect_timeout_s: int = 5,
                  idle_in_transaction_timeout_ms: int = 60_000) -> Engine:
    """An engine whose transactions we open ourselves (see ``transaction``), where every wait
    is bounded.

    ``hide_parameters`` keeps bound values — resource bodies, token hashes — out of the text
    of database errors, which end up in logs. ``statement_timeout_ms`` (0 = none) cancels a
    statement that runs too long: PostgreSQL's ``statement_timeout``; on SQLite a progress
    handler that interrupts once the transaction has run that long; a PostgreSQL transaction
    is bounded as a whole too (``registry.storage.deadlines.bound_transactions``). On
    PostgreSQL the other waits are bounded too: connecting (``connect_timeout``), a silent
    network (TCP keepalives close a connection whose server stopped answering within about
    25 s, ``tcp_user_timeout`` one whose sent data stays unacknowledged), a transaction left
    idle by a stuck client
    (``idle_in_transaction_session_timeout``, which releases its locks), a pool with no free
    connection (``pool_timeout``) and a path that accepts every byte and answers nothing (the
    client-side deadline of ``registry.storage.deadlines``: the statement time-out plus the
    connect time-out as grace). A pooled connection the server or the network dropped fails
    its request with 503 and is replaced; no round trip checks it before use.
    """
    if url.startswith("sqlite"):
        return _sqlite_engine(url, busy_timeout_ms, statement_timeout_ms)
    options = [f"-c idle_in_transaction_session_timeout={int(idle_in_transaction_timeout_ms)}"]
    if statement_timeout_ms:
        options.append(f"-c statement_timeout={int(statement_timeout_ms)}")
    connect_args: dict[str, Any] = {
        "options": " ".join(options), "connect_timeout": connect_timeout_s,
        "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
        "keepalives_count": 3, "tcp_user_timeout": 30_000}
    # Connections stay in autocommit and a transaction sends its own BEGIN (``_begin``), as on
    # SQLite: reads then switch no mode at check-out and reset none at check-in.
    engine = sa.create_engine(url, pool_size=pool_size, max_overflow=pool_size,
                              pool_recycle=1800, pool_timeout=10,
                              hide_parameters=True, connect_args=connect_args,
                              isolation_level="AUTOCOMMIT")
    if statement_timeout_ms:
        bound_waits(engine, statement_timeout_ms / 1000 + connect_timeout_s)
        bound_transactions(engine, statement_timeout_ms / 1000)
    event.listen(engine, "begin", _begin)
    event.listen(engine, "before_cursor_execute", _keep_plan_mode)
    return engine


def _begin(conn: Connection) -> None:
    """BEGIN on PostgreSQL, except for reads of ``transaction`` and connections asked for
    autocommit: the driver, in autocommit, sends none itself (COMMIT and ROLLBACK it sends
    whenever the server is in a transaction)."""
    if not _autocommit(conn):
        conn.exec_driver_sql("BEGIN")


def check_database(engine: Engine) -> str | None:
    """None when the database answers; otherwise one line saying why it does not."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        return f"the database at {engine.url.render_as_string(hide_password=True)} does not " \
               f"answer ({reason})"
    return None


UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")  # connection, shutdown, slots


def is_unavailable(exc: BaseException) -> bool:
    """Was this database error the database being out of reach (down, restarting, the
    network gone, no free connection), as opposed to a statement it refused?"""
    if isinstance(exc, sa.exc.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    original = exc.orig
    state = getattr(original, "sqlstate", None)
    if type(original).__module__.startswith("psycopg"):
        return isinstance(exc, sa.exc.OperationalError) and (
            state is None or state.startswith(UNAVAILABLE_SQLSTATES))
    return "database is locked" in str(original)


CONFLICT_SQLSTATES = ("23505", "40P01", "40001")  # unique key taken, deadlock, serialization


def is_conflict(exc: BaseException) -> bool:
    """Was this database error two writers colliding (the same new id, a deadlock), which the
    client may retry, rather than a fault?"""
    original = getattr(exc, "orig", None)
    if getattr(original, "sqlstate", None) in CONFLICT_SQLSTATES:
        return True
    return isinstance(exc, sa.exc.IntegrityError) and "UNIQUE constraint failed" in str(original)


def is_timeout(exc: BaseException) -> bool:
    """Was this database error a statement cancelled by the time-out?"""
    original = getattr(exc, "orig", exc)
    if type(original).__name__ == "QueryCanceled" or isinstance(original, TransactionTooLong):
        return True  # psycopg's statement_timeout, or our bound on a whole transaction
    return "interrupted" in str(original).lower() and "sqlite" in type(original).__module__


def _sqlite_engine(url: str, busy_timeout_ms: int, statement_timeout_ms: int = 0) -> Engine:
    database = sa.engine.make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"check_same_thread": False},
                              hide_parameters=True)

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
        if statement_timeout_ms:
            deadline = _record.info.setdefault("deadline", [None])
            dbapi_connection.set_progress_handler(lambda: _past(deadline[0]), 10_000)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if statement_timeout_ms:
            deadline = conn.connection.info.setdefault("deadline", [None])
            deadline[0] = time.monotonic() + statement_timeout_ms / 1000
        if _autocommit(conn):  # a read of ``transaction()``, as on PostgreSQL
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN DEFERRED")

    return engine


@contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """One unit of work: committed if the block returns, rolled back if it raises.

    A read runs in autocommit: every statement sees its own snapshot (PostgreSQL's READ
    COMMITTED does no more inside a transaction), so BEGIN and COMMIT would only add two round
    trips. Readers that need a consistent cut, like history paging, bound themselves by the
    version sequence.
    """
    with engine.connect() as conn:
        conn.info["write"] = write
        conn.info["scratch"] = {}
        try:
            if not write and engine.dialect.name == "postgresql":
                # Nothing to begin or commit: the driver is in autocommit and a read sends no
                # BEGIN (``_begin``). Skipping SQLAlchemy's bookkeeping is cheaper;
                # a statement through ``Connection.execute`` still autobegins, as a no-op.
                yield conn
                return
            with conn.begin():
                if (write and engine.dialect.name == "postgresql"
                        and conn.info.get(_PLAN_MODE, _AUTO) != _AUTO):
                    # The server's plan choice for this transaction, when a read left the
                    # session forcing generic plans (see ``one_plan_for_any_value``).
                    conn.execute(SET_PLAN_MODE)
                yield conn
        finally:
            if not conn.invalidated:  # a lost connection has no info left to clear
                conn.info.pop("write", None)
                conn.info.pop("scratch", None)


class Database:
    """The node's database: where units of work open their transaction.

    A thin seam over the engine, so a test can run every unit of work of one test as a
    savepoint of a single connection and roll all of it back afterwards.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        return str(self.engine.dialect.name)

    def transaction(self, *, write: bool) -> AbstractContextManager[Connection]:
        return transaction(self.engine, write=write)

    def autocommit(self) -> AbstractContextManager[Connection]:
        """A connection whose every statement commits by itself (counters, not units of
        work)."""
        return transaction(self.engine, write=False)

    def check(self) -> str | None:
        return check_database(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


SET_PLAN_MODE = sa.text("SELECT set_config('plan_cache_mode', 'auto', true)")


def lock_condition(conn: Connection, condition: str) -> None:
    """Serialize the write transactions that test the same condition (a conditional create's
    criteria) until they end, so two of them cannot both find no match and both create. Only
    writers with the same condition wait; SQLite's single writer needs nothing."""
    if conn.dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(condition.encode()).digest()[:4], "big", signed=True)
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:kind, :key)"),
                 {"kind": CONDITION_LOCKS, "key": key})


@contextmanager
def savepoint(conn: Connection) -> Iterator[None]:
    """A part of the transaction that rolls back alone when the block raises."""
    with conn.begin_nested():
        yield


def is_autocommit_read(conn: Connection) -> bool:
    """A read of ``transaction()``: its statements need no transaction begun first."""
    return conn.info.get("write") is False


def _past(deadline: float | None) -> int:
    """Progress-handler verdict: non-zero interrupts the running SQLite statement."""
    return 1 if deadline is not None and time.monotonic() > deadline else 0


DIALECTS = ("sqlite", "postgresql")


def one_of(column: sa.ColumnElement[Any], name: str, dialect: str) -> sa.ColumnElement[bool]:
    """``column`` equals one of the list bound as ``name``.

    On PostgreSQL the list is one array parameter (``= ANY(:name)``): the SQL text is the
    same for every length, so the server-side prepared statement is reused and SQLAlchemy does
    not render a placeholder per item on every execution. SQLite has no arrays: an expanding
    ``IN``.
    """
    if dialect == "postgresql":
        return column == sa.any_(sa.bindparam(name, type_=sa.ARRAY(column.type)))
    return column.in_(sa.bindparam(name, expanding=True))


def starts_with(column: sa.ColumnElement[str], low: sa.BindParameter[str],
                high: sa.BindParameter[str], *,
                estimate_as_prefix: bool = False) -> sa.ColumnElement[bool]:
    """``column`` starts with the prefix bound as ``low`` (``high`` bounds its range).

    The range is what the index serves. ``estimate_as_prefix`` repeats the test with ``^@`` on
    PostgreSQL, for a look-up nested in a larger statement (a chain's targets): a prepared
    statement's generic plan estimates a range of unknown bounds at 0.5 % of the rows, which
    made a chained search's generic plan look far dearer than a custom one, so PostgreSQL
    planned it anew on every execution. The repeated
    test changes no result (every value in the range starts with the prefix) and brings the
    generic plan's row estimate down to the few rows a prefix matches; in a very large store
    the generic plan's index scan is still costed as reading a fixed share of the range, and
    PostgreSQL keeps planning anew there. Not for a search's own criteria:
    it lowers the custom plans' estimates too, and a plain name search, whose generic plan
    PostgreSQL mostly keeps, was then re-planned every time.
    """
    within = sa.and_(column >= low, column < high)
    if not estimate_as_prefix:
        return within
    return sa.and_(within, _PrefixEstimate(column, sa.type_coerce(low, column.type)))


class _PrefixEstimate(FunctionElement[bool]):
    """``column ^@ prefix`` on PostgreSQL, nothing elsewhere (see ``starts_with``)."""

    type = sa.Boolean()
    inherit_cache = True
    name = "prefix_estimate"


@compiles(_PrefixEstimate, "postgresql")
def _prefix_estimate_postgresql(element: _PrefixEstimate, compiler: SQLCompiler,
                                **kw: Any) -> str:
    column, prefix = element.clauses
    return f"({compiler.process(column, **kw)} ^@ {compiler.process(prefix, **kw)})"


@compiles(_PrefixEstimate)
def _prefix_estimate_elsewhere(_element: _PrefixEstimate, _compiler: SQLCompiler,
                               **_kw: Any) -> str:
    return "1 = 1"


@contextmanager
def one_plan_for_any_value(conn: Connection, fits: bool) -> Iterator[None]:
    """On PostgreSQL, the statements run in the block keep their generic plan when ``fits``
    (the caller knows one plan serves any value bound into them).

    psycopg prepares a statement after five executions; PostgreSQL then keeps a generic plan
    only when its estimate is close to the custom plans'. For a prefix look-up under a chain
    that estimate is far off in a large store (a range of unknown bounds is taken as a fixed
    share of the rows), so the server planned such a search anew on every execution, which cost more
    than running it. The caller says when the plan cannot depend on the values: equality,
    prefix and list look-ups on the index tables, always the same index scans. One-sided
    ranges (dates, numbers) do not fit: a generic plan assumes a third of the rows match them.
    Only reads (autocommit); ``_keep_plan_mode`` switches the session's mode.
    """
    if not (fits and conn.dialect.name == "postgresql" and _autocommit(conn)):
        yield
        return
    outer = conn.info.get(_ONE_PLAN_BLOCK, False)
    conn.info[_ONE_PLAN_BLOCK] = True
    try:
        yield
    finally:
        if not conn.invalidated:
            conn.info[_ONE_PLAN_BLOCK] = outer


def _autocommit(conn: Connection) -> bool:
    """A read of ``transaction``, or a connection given ``isolation_level="AUTOCOMMIT"``."""
    return is_autocommit_read(conn) or (
        conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT")


def _keep_plan_mode(conn: Connection, cursor: Any, _statement: str, _parameters: Any,
                    _context: Any, _executemany: bool) -> None:
    """Before each statement on a PostgreSQL read connection: force generic plans in a
    ``one_plan_for_any_value`` block and the server's own choice elsewhere.

    The session keeps the mode it was last given, so a run of searches that fit (or of other
    reads) costs no round trip; only a change of mode does, one ``SET``. Write transactions
    take the server's choice for themselves (``SET LOCAL`` in their first statement).
    """
    wanted = _GENERIC if conn.info.get(_ONE_PLAN_BLOCK) else _AUTO
    if conn.info.get(_PLAN_MODE, _AUTO) == wanted or not _autocommit(conn):
        return  # the common case first: two dict look-ups per statement
    cursor.connection.execute(f"SET plan_cache_mode = {wanted}")
    conn.info[_PLAN_MODE] = wanted


def chunks(items: Sequence[T], size: int = LIST_CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``, for statements that bind a list."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def is_write(conn: Connection) -> bool:
    return bool(conn.info.get("write"))


def scratch(conn: Connection) -> dict[str, Any]:
    """Values that live exactly as long as the current ``transaction()`` (e.g. its clock)."""
    found: dict[str, Any] = conn.info.setdefault("scratch", {})
    return found
