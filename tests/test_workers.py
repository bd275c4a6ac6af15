"""Threaded workers share out keep-alive connections evenly (``registry.workers``)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from registry.workers import ABSENT, STALE_SECONDS, ConnectionBoard

# A bare app that answers with the pid of the worker that served it, under run_gunicorn.
SERVE = """
import os, sys
from flask import Flask
from registry.server import run_gunicorn
app = Flask("pids")
app.add_url_rule("/pid", "pid", lambda: str(os.getpid()))
run_gunicorn(app, host="127.0.0.1", port=int(sys.argv[1]), workers=2, threads=4)
"""


def test_the_board_compares_a_worker_with_its_live_siblings_only() -> None:
    board = ConnectionBoard(4)
    first, second, third = (board.claim(set()), board.claim({0}), board.claim({0, 1}))
    assert (first, second, third) == (0, 1, 2)
    assert board.fewest_besides(0) is None  # nobody has published yet
    board.publish(0, 3)
    board.publish(1, 1)
    assert board.fewest_besides(0) == 1
    assert board.fewest_besides(1) == 3  # its own count is not a sibling's
    board.publish(2, 0)
    board.published[2] -= STALE_SECONDS + 1  # silent: stuck or gone
    assert board.fewest_besides(0) == 1
    board.release(1)
    assert board.counts[1] == ABSENT and board.fewest_besides(0) is None
    assert board.claim({0, 2, 3}) == 1  # a freed slot is handed out again, cleared
    assert board.claim({0, 1, 2, 3}) is None  # more workers than slots: this one takes no part


@pytest.fixture()
def pid_server(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_workers(process, port, 2)
        yield port, process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


@pytest.mark.parametrize("opened", ["one after another", "all at once"])
def test_keep_alive_connections_are_shared_out_evenly(
        pid_server: tuple[int, subprocess.Popen[bytes]], opened: str) -> None:
    """Before, four connections landed all on one of two workers in about half the trials."""
    port, process = pid_server
    for _ in range(6):
        assert sorted(_workers_serving(port, 4, at_once=opened == "all at once")) == [2, 2]
        _wait_until_idle(process, port)


def test_a_replaced_worker_takes_its_share(
        pid_server: tuple[int, subprocess.Popen[bytes]]) -> None:
    port, process = pid_server
    victim = psutil.Process(process.pid).children()[0].pid
    os.kill(victim, signal.SIGKILL)
    _wait_for_workers(process, port, 2, without=victim)
    for _ in range(3):
        assert sorted(_workers_serving(port, 4, at_once=False)) == [2, 2]
        _wait_until_idle(process, port)


def _workers_serving(port: int, connections: int, *, at_once: bool) -> list[int]:
    """How many of ``connections`` kept-alive connections each worker serves."""
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=30)
             for _ in range(connections)]
    pids: list[str] = []

    def ask(conn: http.client.HTTPConnection) -> None:
        conn.request("GET", "/pid")
        pids.append(conn.getresponse().read().decode())

    try:
        if at_once:
            threads = [threading.Thread(target=ask, args=(c,)) for c in conns]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        else:
            for conn in conns:
                ask(conn)
        for conn in conns:  # still on the same worker: the connection was kept alive
            conn.request("GET", "/pid")
            assert conn.getresponse().read().decode() in pids
        return list(Counter(pids).values())
    finally:
        for conn in conns:
            conn.close()


def _wait_until_idle(process: subprocess.Popen[bytes], port: int) -> None:
    """Until the workers have closed the last trial's connections (and so count them no more);
    a worker still counting closed ones would rightly be passed over at first."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not any(c.laddr.port == port and c.status != psutil.CONN_LISTEN
                   for w in psutil.Process(process.pid).children()
                   for c in w.net_connections("tcp")):
            time.sleep(0.05)  # and have published that
            return
        time.sleep(0.02)
    raise AssertionError("the workers kept the connections open")


def _wait_for_workers(process: subprocess.Popen[bytes], port: int, count: int, *,
                      without: int | None = None) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        workers = {c.pid for c in psutil.Process(process.pid).children()} - {without}
        if len(workers) == count and _answers(port):
            time.sleep(0.5)  # every worker in its loop, having published its count
            return
        time.sleep(0.1)
    raise AssertionError("the workers did not start")


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/pid")
        conn.getresponse().read()
        conn.close()
        return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
