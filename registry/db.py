"""Binds one SQLAlchemy engine to the Flask app and opens request transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from sqlalchemy.engine import Connection, Engine

from registry.config import Settings
from registry.storage.database import create_engine, transaction


def init_app(app: Flask) -> None:
    settings: Settings = app.config["REGISTRY"]
    app.extensions["registry.engine"] = create_engine(
        settings.database_url, pool_size=settings.database_pool_size,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms)


def engine() -> Engine:
    return current_app.extensions["registry.engine"]  # type: ignore[no-any-return]


@contextmanager
def unit_of_work(*, write: bool) -> Iterator[Connection]:
    """The one transaction of the current request or command."""
    with transaction(engine(), write=write) as conn:
        yield conn
