"""A client-side bound on every wait for PostgreSQL's answer.

The server bounds its own work (``statement_timeout``) and the kernel notices a peer that stops
acknowledging (TCP keepalives, ``tcp_user_timeout``). Neither notices a path that accepts every
byte and answers nothing — a proxy or middlebox that hangs, a server whose process is frozen:
the driver then waits forever, and so does the request, holding a worker thread. So each wait
gets a deadline (the statement time-out plus a grace for the answer to travel); a watchdog
thread shuts the socket of a connection whose wait outlived it. The driver then fails at once
with a connection error, SQLAlchemy drops the connection from the pool, and the request answers
503 like any other lost database.

Waits are a statement (``before``/``after_cursor_execute``), COMMIT and ROLLBACK (from the
``commit``/``rollback`` events, and the pool's reset on return, until the connection is checked
in). The watchdog shuts a socket while holding the lock that ``stop`` takes, and a connection
is closed only after ``stop`` ran for it (the pool's ``invalidate`` and ``close`` events come
before the driver's close), so a closed and reused descriptor is never touched.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import weakref
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

log = logging.getLogger(__name__)
TICK_S = 0.25
_TRANSACTION_DEADLINE = "transaction_deadline"  # conn.info


class TransactionTooLong(Exception):
    """A unit of work ran longer than the statement time-out allows a whole transaction."""


class Deadlines:
    """Connections waiting for the server, each with the moment its wait must end."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self.watcher = 0  # the process whose watchdog runs; 0: none (a fork inherits none)
        self.forked()
        _ALL.add(self)

    def forked(self) -> None:
        """A fresh lock and table: a forked worker inherits neither the parent's waits nor,
        should the parent's watchdog have held it at the fork, a lock no thread will release."""
        self.lock = threading.Lock()
        self.waiting: dict[int, tuple[float, Any]] = {}

    def start(self, dbapi_connection: Any) -> None:
        with self.lock:
            self.waiting[id(dbapi_connection)] = (time.monotonic() + self.limit_s,
                                                  dbapi_connection)
            if self.watcher != os.getpid():
                self.watcher = os.getpid()
                threading.Thread(target=self._watch, name="database-deadlines",
                                 daemon=True).start()

    def stop(self, dbapi_connection: Any) -> None:
        with self.lock:
            self.waiting.pop(id(dbapi_connection), None)

    def expire(self, now: float) -> int:
        """Shut the sockets of the waits past their deadline; how many were shut."""
        with self.lock:
            late = [(key, conn) for key, (deadline, conn) in self.waiting.items()
                    if deadline < now]
            for key, conn in late:
                del self.waiting[key]
                _shut(conn)
        return len(late)

    def _watch(self) -> None:
        """Runs while some connection waits, so an idle or disposed engine keeps no thread."""
        while True:
            time.sleep(TICK_S)
            if self.expire(time.monotonic()):
                log.error("the database did not answer within %.0f s: connection closed",
                          self.limit_s)
            with self.lock:
                if not self.waiting:
                    self.watcher = 0
                    return


_ALL: weakref.WeakSet[Deadlines] = weakref.WeakSet()


def _forked_all() -> None:
    for deadlines in list(_ALL):
        deadlines.forked()


os.register_at_fork(after_in_child=_forked_all)


def _shut(dbapi_connection: Any) -> None:
    """Shut the connection's socket down (a duplicate descriptor: libpq keeps its own)."""
    with contextlib.suppress(Exception):
        if dbapi_connection.closed:
            return
        fd = dbapi_connection.pgconn.socket
        with socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.shutdown(socket.SHUT_RDWR)


def bound_waits(engine: sa.Engine, limit_s: float) -> Deadlines:
    """Give every wait of ``engine``'s connections for the server a deadline of ``limit_s``.

    Registered before any other listener, so a statement another listener sends first (the
    plan mode) is bounded too.
    """
    deadlines = Deadlines(limit_s)

    def before(_conn: Any, cursor: Any, *_args: Any) -> None:
        deadlines.start(cursor.connection)

    def after(_conn: Any, cursor: Any, *_args: Any) -> None:
        deadlines.stop(cursor.connection)

    def ending(conn: sa.Connection, *_args: Any) -> None:
        if not conn.invalidated:
            deadlines.start(conn.connection.dbapi_connection)

    def failed(context: sa.engine.ExceptionContext) -> None:
        conn = context.connection
        if conn is not None and not conn.invalidated:
            deadlines.stop(conn.connection.dbapi_connection)

    def pooled(dbapi_connection: Any, *_args: Any) -> None:
        deadlines.stop(dbapi_connection)

    def resetting(dbapi_connection: Any, *_args: Any) -> None:
        deadlines.start(dbapi_connection)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "commit", ending)
    event.listen(engine, "rollback", ending)
    event.listen(engine, "handle_error", failed)
    event.listen(engine.pool, "reset", resetting)
    event.listen(engine.pool, "checkin", pooled)
    event.listen(engine.pool, "close", pooled)
    event.listen(engine.pool, "invalidate", pooled)
    return deadlines


def bound_transactions(engine: sa.Engine, limit_s: float) -> None:
    """A unit of work on ``engine`` may run ``limit_s`` in all, as SQLite's progress handler
    allows a transaction there: PostgreSQL bounds each statement, so a request made of many
    (a transaction Bundle of thousands of entries) could otherwise outlive any worker time-out.
    A statement sent past the deadline fails before it leaves, and the transaction rolls back.
    """

    def begun(conn: sa.Connection) -> None:
        conn.info[_TRANSACTION_DEADLINE] = time.monotonic() + limit_s

    def ended(conn: sa.Connection, *_args: Any) -> None:
        if not conn.invalidated:
            conn.info.pop(_TRANSACTION_DEADLINE, None)

    def before(conn: sa.Connection, _cursor: Any, statement: str, parameters: Any,
               *_args: Any) -> None:
        deadline = conn.info.get(_TRANSACTION_DEADLINE)
        if deadline is not None and time.monotonic() > deadline:
            raise sa.exc.OperationalError(statement, parameters, TransactionTooLong(
                f"the transaction ran longer than {limit_s:.0f} s"), hide_parameters=True)

    event.listen(engine, "begin", begun)
    event.listen(engine, "commit", ended)
    event.listen(engine, "rollback", ended)
    event.listen(engine, "before_cursor_execute", before)
