"""``registry db``: the database schema."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from registry.cli.common import base_url, database, node, one_line_errors
from registry.services.audit import AuditTrail
from registry.services.caller import Caller
from registry.services.conformance import load_conformance
from registry.services.unit import unit_of_work
from registry.storage import migrate
from registry.storage.database import create_engine


@click.group("db", help="Database schema (Alembic migrations).")
def group() -> None:
    pass


@group.command("upgrade", help="Bring the database to the current schema and store the "
               "conformance resources shipped under schemas/ (read-only over the API).")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
@one_line_errors
def upgrade(revision: str) -> None:
    # Its own engine: migrations must not be cut short by the request statement time-out.
    settings = current_app.config["REGISTRY"]
    migration_engine = create_engine(settings.database_url)
    try:
        migrate.upgrade(migration_engine, revision)
        click.echo(f"database at revision {migrate.current_revision(migration_engine)}")
    finally:
        migration_engine.dispose()
    if revision == "head":
        with unit_of_work(database(), node(), Caller.node(), AuditTrail(), base_url(),
                          write=True) as service:
            report = load_conformance(service)
        click.echo(f"conformance resources: {report.written} written, {report.unchanged} "
                   f"unchanged, {report.deleted} deleted")
