"""``registry attendance``: session attendance from video-meeting reports."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext

from adapters.attendance import (
    AttendanceFileError,
    AttendanceReport,
    MissingTimeZone,
    read_report,
)
from registry.cli.common import one_line_errors, system_unit
from registry.services.attendance import TIMEZONE_EXT, hub_time_zone, import_attendance
from registry.services.sessions import session_reference


@click.group("attendance", help="Session attendance from video-meeting reports.")
def group() -> None:
    pass


@group.command("import", help="Record a Zoom or Teams participant report (CSV) on a session "
               "Encounter; one transaction, nothing written on error.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--session", "session", required=True, help="The session, Encounter/ID.")
@click.option("--timezone", "--tz", "timezone", default=None,
              help="IANA zone of the report's times (e.g. America/Lima); needed when they "
              "carry no offset and the hub Organization states no zone.")
@click.option("--other-day", is_flag=True,
              help="Record a report whose times fall on another day than the session.")
@click.option("--create-unknown", is_flag=True,
              help="Create attendees not in the directory as mentees of their stated spoke.")
@click.option("--day-first/--month-first", default=None,
              help="How to read 05/11/2026 (default: detected from the file).")
@click.option("--discipline", default="primary-care", show_default=True,
              help="Discipline of created mentees (discipline value set).")
@with_appcontext
@one_line_errors
def import_(file: Path, session: str, timezone: str | None, other_day: bool,
            create_unknown: bool, day_first: bool | None, discipline: str) -> None:
    reference = session_reference(session)
    with system_unit("attendance-import", write=True) as service:
        zone = timezone or hub_time_zone(service, reference)
        report = _read(file, zone, day_first)
        summary = import_attendance(service, report, reference, create_unknown=create_unknown,
                                    discipline=discipline, other_day=other_day,
                                    zone=ZoneInfo(zone) if zone else UTC)
    for line in summary.lines():
        click.echo(line)


def _read(file: Path, zone: str | None, day_first: bool | None) -> AttendanceReport:
    try:
        return read_report(file.read_bytes(), timezone=zone, filename=file.name,
                           day_first=day_first)
    except MissingTimeZone as exc:
        raise click.ClickException(f"{exc}: give --timezone, or state the hub's zone on its "
                                   f"Organization (extension {TIMEZONE_EXT})") from None
    except (AttendanceFileError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
