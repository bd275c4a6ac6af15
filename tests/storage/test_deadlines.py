"""The client-side deadline on waits for PostgreSQL (registry.storage.deadlines)."""

from __future__ import annotations

import socket
import time
from types import SimpleNamespace
from typing import Any

from registry.storage.deadlines import Deadlines


def connection(sock: socket.socket) -> Any:
    """What the deadline reads of a psycopg connection: ``closed`` and its socket."""
    return SimpleNamespace(closed=False, pgconn=SimpleNamespace(socket=sock.fileno()))


def test_a_wait_past_its_deadline_has_its_socket_shut_and_no_other() -> None:
    deadlines = Deadlines(0.05)
    late_ours, late_theirs = socket.socketpair()
    done_ours, done_theirs = socket.socketpair()
    with late_ours, late_theirs, done_ours, done_theirs:
        late, done = connection(late_ours), connection(done_ours)
        deadlines.start(late)
        deadlines.start(done)
        deadlines.stop(done)  # answered in time
        assert deadlines.expire(time.monotonic()) == 0  # nothing is late yet
        time.sleep(0.1)
        assert deadlines.expire(time.monotonic()) == 1
        late_theirs.settimeout(1)
        assert late_theirs.recv(1) == b""  # the late one is shut down ...
        done_theirs.setblocking(False)
        done_ours.sendall(b"x")
        assert done_theirs.recv(1) == b"x"  # ... the answered one still works
        assert late_ours.fileno() >= 0  # the driver keeps its own descriptor


def test_a_closed_connection_is_never_touched() -> None:
    deadlines = Deadlines(0.0)
    ours, theirs = socket.socketpair()
    with ours, theirs:
        closed = connection(ours)
        closed.closed = True
        deadlines.start(closed)
        time.sleep(0.01)
        deadlines.expire(time.monotonic())
        ours.sendall(b"x")
        assert theirs.recv(1) == b"x"
