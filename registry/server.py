"""Run the app under gunicorn, configured in code (no config file to lose)."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from registry.app import create_app

        return create_app()


def run_gunicorn(*, host: str, port: int, workers: int, threads: int, timeout: int = 60) -> None:
    """Serve with gunicorn; a worker silent for ``timeout`` seconds is restarted (the last
    line of defence against a runaway request, after the database statement time-out)."""
    _Gunicorn({
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": timeout,
        "graceful_timeout": 10,
        "accesslog": "-",
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
    }).run()
