"""The ``registry`` command line (a Flask CLI group; also ``flask --app wsgi ...``).

Every command runs in one transaction through the same services as the HTTP API; failures
print one line and exit non-zero.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from registry.db import unit_of_work
from registry.errors import RegistryError
from registry.services import tokens
from registry.services.search.values import instant
from registry.storage import migrate
from registry.storage.database import create_engine

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(func: F) -> F:
    """Turn domain errors into a one-line message and exit status 1."""
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RegistryError as exc:
            raise click.ClickException(str(exc)) from None
    return wrapper  # type: ignore[return-value]


@click.group("db", help="Database schema (Alembic migrations).")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Bring the database to the current schema.")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    # Its own engine: migrations must not be cut short by the request statement time-out.
    settings = current_app.config["REGISTRY"]
    migration_engine = create_engine(settings.database_url)
    try:
        migrate.upgrade(migration_engine, revision)
        click.echo(f"database at revision {migrate.current_revision(migration_engine)}")
    finally:
        migration_engine.dispose()


@click.group("token", help="Bearer tokens for the API.")
def token_group() -> None:
    pass


@token_group.command("create", help="Create a token; prints it once, as the last line.")
@click.option("--role", required=True, type=click.Choice(tokens.ROLES))
@click.option("--org", default=None, metavar="Organization/ID",
              help="The hub (hub-admin) or spoke (spoke-clinician) the token acts for.")
@click.option("--country", default=None, metavar="CC",
              help="ISO 3166-1 alpha-2 country of a national-program token.")
@click.option("--name", default="cli", show_default=True, help="Who or what the token is for.")
@click.option("--days", default=None, type=int, help="Validity in days (default from config).")
@with_appcontext
@one_line_errors
def token_create(role: str, org: str | None, country: str | None, name: str,
                 days: int | None) -> None:
    if org and country:
        raise click.ClickException("Give --org or --country, not both")
    validity = days if days is not None else current_app.config["REGISTRY"].token_days
    with unit_of_work(write=True) as conn:
        plaintext, token_id = tokens.create_token(conn, role=role, name=name, days=validity,
                                                  binding=org or country)
    binding = org or (country or "").upper()
    bound = f" for {binding}" if binding else ""
    click.echo(f"token {token_id} for {name!r} ({role}{bound}), valid {validity} days:",
               err=True)
    click.echo(plaintext)


@token_group.command("list", help="List tokens (never their secrets).")
@with_appcontext
def token_list() -> None:
    with unit_of_work(write=False) as conn:
        rows = tokens.list_tokens(conn)
    for t in rows:
        state = "revoked" if t.revoked else "active"
        expires = instant(t.expires)[:10] if t.expires else "never"
        click.echo(f"{t.id}\t{t.role}\t{t.binding or '-'}\t{t.name}\t{state}\texpires {expires}")


@token_group.command("revoke", help="Revoke a token by id.")
@click.argument("token_id", type=int)
@with_appcontext
@one_line_errors
def token_revoke(token_id: int) -> None:
    with unit_of_work(write=True) as conn:
        tokens.revoke_token(conn, token_id)
    click.echo(f"token {token_id} revoked")


@click.group("security", help="Authorization compartments.")
def security_group() -> None:
    pass


@security_group.command("rebuild", help="Derive every resource's compartment again (after "
                        "upgrading a populated database to 0002_security, or moving spokes).")
@with_appcontext
def security_rebuild() -> None:
    from registry.services.compartment import rebuild

    with unit_of_work(write=True) as conn:
        count = rebuild(conn, current_app.config["REGISTRY"].base_url)
    click.echo(f"{count} compartments derived")


@click.command("serve", help="Serve the registry with gunicorn (production WSGI server).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int, workers: int, threads: int) -> None:
    from registry.server import run_gunicorn

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    run_gunicorn(app, host=host, port=port, workers=workers, threads=threads,
                 timeout=app.config["REGISTRY"].request_timeout_seconds)


@click.command("demo", help="Load the synthetic demo network (deterministic, idempotent).")
@click.option("--seed", default=2026, show_default=True, type=int)
@click.option("--scale", default=1.0, show_default=True, type=float,
              help="1.0 is about 3,700 resources: 13 hubs, 160 spokes, 1,573 practitioners.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database holds resources.")
@click.option("--batch", default=1000, show_default=True, type=int)
@with_appcontext
@one_line_errors
def demo(seed: int, scale: float, if_empty: bool, batch: int) -> None:
    from tqdm import tqdm

    from registry.services.demo import expected_resources, generate_network
    from registry.services.loading import LoadReport, batches, is_empty, load_batch

    node = current_app.extensions["registry.node"]
    with unit_of_work(write=False) as conn:
        if if_empty and not is_empty(conn):
            click.echo("database is not empty; demo network not loaded")
            return
    report = LoadReport()
    with tqdm(total=expected_resources(scale), unit="res", desc="demo network") as bar:
        for chunk in batches(generate_network(seed=seed, scale=scale), batch):
            with unit_of_work(write=True) as conn:
                load_batch(conn, node, chunk, report)
            bar.update(len(chunk))
    click.echo(f"demo network: {report.written} written, {report.unchanged} unchanged")


@click.group("attendance", help="Session attendance from video-meeting reports.")
def attendance_group() -> None:
    pass


@attendance_group.command("import", help="Record a Zoom or Teams participant report (CSV) on "
                          "a session Encounter; one transaction, nothing written on error.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--session", "session", required=True, help="The session, Encounter/ID.")
@click.option("--timezone", default="UTC", show_default=True,
              help="IANA zone of the report's times (e.g. America/Lima).")
@click.option("--create-unknown", is_flag=True,
              help="Create attendees not in the directory as mentees of their stated spoke.")
@click.option("--day-first/--month-first", default=None,
              help="How to read 05/11/2026 (default: detected from the file).")
@click.option("--discipline", default="primary-care", show_default=True,
              help="Discipline of created mentees (discipline value set).")
@with_appcontext
@one_line_errors
def attendance_import(file: Path, session: str, timezone: str, create_unknown: bool,
                      day_first: bool | None, discipline: str) -> None:
    from adapters.attendance import AttendanceFileError, read_report
    from registry.services.attendance import import_attendance
    from registry.services.context import Caller
    from registry.services.fhir import FhirService
    from registry.services.sessions import session_reference

    try:
        report = read_report(file.read_bytes(), timezone=timezone, filename=file.name,
                             day_first=day_first)
    except (AttendanceFileError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    node = current_app.extensions["registry.node"]
    with unit_of_work(write=True) as conn:
        service = FhirService(conn, node, Caller.system("attendance-import"))
        summary = import_attendance(service, report, session_reference(session),
                                    create_unknown=create_unknown, discipline=discipline)
    for line in summary.lines():
        click.echo(line)


def init_app(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(token_group)
    app.cli.add_command(security_group)
    app.cli.add_command(attendance_group)
    app.cli.add_command(serve)
    app.cli.add_command(demo)


def _create_app() -> Flask:
    from registry.app import create_app

    return create_app()


cli = FlaskGroup(name="registry", create_app=_create_app, add_default_commands=False,
                 help="Telementoring Network Registry.")


def main() -> None:
    cli.main(prog_name="registry", args=sys.argv[1:])
