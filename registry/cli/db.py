"""``registry db``: the database schema."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from registry.storage import migrate
from registry.storage.database import create_engine


@click.group("db", help="Database schema (Alembic migrations).")
def group() -> None:
    pass


@group.command("upgrade", help="Bring the database to the current schema.")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def upgrade(revision: str) -> None:
    # Its own engine: migrations must not be cut short by the request statement time-out.
    settings = current_app.config["REGISTRY"]
    migration_engine = create_engine(settings.database_url)
    try:
        migrate.upgrade(migration_engine, revision)
        click.echo(f"database at revision {migrate.current_revision(migration_engine)}")
    finally:
        migration_engine.dispose()
