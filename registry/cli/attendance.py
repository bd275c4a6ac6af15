"""``registry attendance``: session attendance from video-meeting reports."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from adapters.attendance import AttendanceFileError, read_report
from registry.cli.common import one_line_errors, system_unit
from registry.services.attendance import import_attendance
from registry.services.sessions import session_reference


@click.group("attendance", help="Session attendance from video-meeting reports.")
def group() -> None:
    pass


@group.command("import", help="Record a Zoom or Teams participant report (CSV) on a session "
               "Encounter; one transaction, nothing written on error.")
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
def import_(file: Path, session: str, timezone: str, create_unknown: bool,
            day_first: bool | None, discipline: str) -> None:
    try:
        report = read_report(file.read_bytes(), timezone=timezone, filename=file.name,
                             day_first=day_first)
    except (AttendanceFileError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    with system_unit("attendance-import", write=True) as service:
        summary = import_attendance(service, report, session_reference(session),
                                    create_unknown=create_unknown, discipline=discipline)
    for line in summary.lines():
        click.echo(line)
