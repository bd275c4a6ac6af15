"""Alembic environment: runs on the connection the registry hands over, or on the configured URL."""

from __future__ import annotations

import warnings
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from registry.config import load_settings
from registry.storage.database import create_engine
from registry.storage.tables import EXPRESSION_INDEXES, metadata

# Indexes on expressions: made by their migration, never compared (SQLite cannot reflect them,
# PostgreSQL spells the expression its own way), so drift checks say nothing about them.
UNCOMPARED = ("Skipped unsupported reflection of expression-based index",
              "autogenerate skipping metadata-specified expression-based index")


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(load_settings().database_url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=True, compare_type=True, include_name=_compared,
                      include_object=_compared_object)
    with warnings.catch_warnings(), context.begin_transaction():
        for message in UNCOMPARED:
            warnings.filterwarnings("ignore", message=message)
        context.run_migrations()


def _compared(name: str | None, type_: str, _parents: Any) -> bool:
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


def _compared_object(_object: Any, name: str | None, type_: str, _reflected: bool,
                     _compare_to: Any) -> bool:
    return _compared(name, type_, None)


run_migrations()
