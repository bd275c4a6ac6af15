"""Run the app under gunicorn, configured in code (no config file to lose).

The application is built once in the master and the workers are forked from it
(``preload_app``): module code, models and schemas are then shared copy-on-write instead of
being loaded again by every worker. Each worker drops the inherited connection pool, so no
database connection is ever shared across a fork.

Memory (glibc only, where these calls exist): threads allocate from at most ``ARENAS`` malloc
arenas instead of up to eight per core; blocks of ``MMAP_THRESHOLD_BYTES`` or more (request
bodies, parsed Bundles, history pages) always get their own mapping, returned to the system
when freed, instead of glibc's default of raising that threshold after each large free until
such blocks land in the heap and stay there; and after a response or request of
``TRIM_AFTER_BYTES`` or more (a history page, a Bundle of a few hundred entries) the heap's
free pages are handed back to the system, so one large request does not stay in the worker's
resident set. ``malloc_trim`` costs 0.1–1 ms, nothing beside such a request, but too much to
pay after every search page.

Threaded workers share out keep-alive connections evenly (``registry.workers``): without that,
a few long-lived clients often all land on one worker and so on one core.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from registry.workers import (
    SPARE_SLOTS,
    BalancedThreadWorker,
    ConnectionBoard,
    assign_slot,
    free_slot,
)


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask | None, options: dict[str, Any],
                 connection_board: ConnectionBoard | None = None) -> None:
        self.application = app
        self.options = options
        self.connection_board = connection_board  # read by the workers (registry.workers)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        if self.application is None:
            from registry.app import create_app

            self.application = create_app()
        return self.application


ARENAS = 2
MMAP_THRESHOLD_BYTES = 128 << 10  # glibc's starting value, kept fixed
TRIM_AFTER_BYTES = 256 << 10  # a 1,000-entry Bundle is 0.9 MB, under the old 1 MiB
_M_MMAP_THRESHOLD = -3  # mallopt parameter numbers (malloc.h)
_M_ARENA_MAX = -8


@cache
def _libc() -> Any:
    """glibc, or ``None`` where malloc is not glibc's (musl, macOS)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name)
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def tune_malloc() -> bool:
    """Fewer arenas and a fixed mmap threshold; ``False`` where malloc is not glibc's or
    refused a setting."""
    libc = _libc()
    if libc is None:
        return False
    return all(libc.mallopt(parameter, value) == 1 for parameter, value in
               ((_M_ARENA_MAX, ARENAS), (_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)))


def release_free_memory() -> None:
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def _post_request(_worker: Any, request: Any, _environ: Any, response: Any) -> None:
    if max(response.sent or 0, _content_length(request)) >= TRIM_AFTER_BYTES:
        release_free_memory()


def _content_length(request: Any) -> int:
    """The request body's declared size (gunicorn keeps headers as upper-cased pairs)."""
    for name, value in request.headers:
        if name == "CONTENT-LENGTH":
            return int(value) if value.isdigit() else 0
    return 0


def _pre_fork(server: Any, worker: Any) -> None:
    gc.freeze()  # keep the master's objects out of the collector: pages stay shared
    assign_slot(server, worker)


def _post_fork(server: Any, _worker: Any) -> None:
    engine = getattr(server.app.application, "extensions", {}).get("registry.engine")
    if engine is not None:
        engine.dispose(close=False)  # the master's pool must not be used by a child


def run_gunicorn(app: Flask | None = None, *, host: str, port: int, workers: int,
                 threads: int, timeout: int = 60) -> None:
    """Serve with gunicorn; a worker silent for ``timeout`` seconds is restarted (the last
    line of defence against a runaway request, after the database statement time-out)."""
    tune_malloc()  # before any worker thread exists; forked workers inherit it
    threaded = threads > 1  # one thread: the sync worker, which keeps no connection alive
    board = ConnectionBoard(workers + SPARE_SLOTS) if threaded else None
    _Gunicorn(app, {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": BalancedThreadWorker if threaded else "sync",
        "timeout": timeout,
        "graceful_timeout": 10,
        "preload_app": True,
        "pre_fork": _pre_fork,
        "post_fork": _post_fork,
        "child_exit": free_slot,
        "post_request": _post_request,
        "accesslog": "-",
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
    }, board).run()
