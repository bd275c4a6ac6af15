"""Run the app under gunicorn, configured in code (no config file to lose).

Threaded workers (gunicorn's own ``gthread``) serve keep-alive connections. The application is
built once in the master and the workers are forked from it (``preload_app``), so module code,
models and schemas are shared copy-on-write; ``gc.freeze`` keeps the master's objects out of
the collector so those pages stay shared. Each worker drops the inherited connection pool: no
database connection is ever shared across a fork.
"""

from __future__ import annotations

import gc
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask | None, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        if self.application is None:
            from registry.app import create_app

            self.application = create_app()
        return self.application


def _pre_fork(_server: Any, _worker: Any) -> None:
    gc.freeze()


def _post_fork(server: Any, _worker: Any) -> None:
    database = getattr(server.app.application, "extensions", {}).get("registry.database")
    if database is not None:
        database.engine.dispose(close=False)  # the master's pool must not be used by a child


def run_gunicorn(app: Flask | None = None, *, host: str, port: int, workers: int,
                 threads: int, timeout: int = 60) -> None:
    """Serve with gunicorn; a worker silent for ``timeout`` seconds is restarted (the last
    line of defence against a runaway request, after the database time-outs)."""
    _Gunicorn(app, {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": timeout,
        "graceful_timeout": 10,
        "preload_app": True,
        "pre_fork": _pre_fork,
        "post_fork": _post_fork,
        "accesslog": "-",
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        # gunicorn's own refusals are HTML pages; the registry bounds request lines and
        # headers itself and answers with an OperationOutcome (registry.http.pipeline). Put a
        # reverse proxy in front in production: it bounds them before any memory is spent.
        "limit_request_line": 0,
        "limit_request_field_size": 0,
        # No control socket: several servers on one machine would share (and remove) one.
        "control_socket_disable": True,
    }).run()
