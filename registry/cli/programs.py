"""``registry calendar`` and ``registry programs``: a coordinator's tools from the shell."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from flask.cli import with_appcontext

from registry.cli.common import one_line_errors, system_unit
from registry.services.programs import calendar as calendars
from registry.services.programs import certificates, needs, progress, schedule
from registry.services.programs.model import local_id


@click.group("calendar", help="iCalendar feeds of programs and cohorts.")
def calendar_group() -> None:
    pass


def _print_links(links: dict[str, Any]) -> None:
    for feed in links["parameter"]:
        values = {p["name"]: p for p in feed["part"]}
        click.echo(f"{values['reference']['valueReference']['reference']}\t"
                   f"{values['url']['valueUrl']}")


@calendar_group.command("rotate-key", help="Rotate the key of a program's feeds (the old "
                        "links stop working) and print the new ones.")
@click.option("--program", required=True, help="HealthcareService/ID")
@with_appcontext
@one_line_errors
def rotate_key(program: str) -> None:
    with system_unit("calendar-rotate-key", write=True) as service:
        links = calendars.rotate_key(service, local_id(program, "HealthcareService"))
    _print_links(links)


@calendar_group.command("links", help="Print the subscribable feed URLs of a program and its "
                        "cohorts.")
@click.option("--program", required=True, help="HealthcareService/ID")
@with_appcontext
@one_line_errors
def links(program: str) -> None:
    program_id = local_id(program, "HealthcareService")
    with system_unit("calendar-links", write=False) as service:
        body = service.read("HealthcareService", program_id).resource()
        found = calendars.feed_links(service, program_id, body)
    _print_links(found)


@click.group("programs", help="Cohorts: planned sessions, needs and progress.")
def programs_group() -> None:
    pass


@programs_group.command("schedule", help="Plan a cohort's sessions from an RRULE in one "
                        "transaction; prints one line per session.")
@click.option("--cohort", required=True, help="Group/ID")
@click.option("--rrule", required=True, help="e.g. FREQ=WEEKLY;INTERVAL=2;COUNT=12")
@click.option("--start", required=True, help="First session, local time: 2027-02-03T14:00")
@click.option("--timezone", required=True, help="IANA zone, e.g. America/Lima")
@click.option("--duration", default=90, show_default=True, help="Minutes per session.")
@click.option("--holiday", multiple=True, help="A day to skip (YYYY-MM-DD); repeatable.")
@click.option("--keep-holidays", is_flag=True,
              help="Do not skip the program country's public holidays.")
@with_appcontext
@one_line_errors
def schedule_(cohort: str, rrule: str, start: str, timezone: str, duration: int,
              holiday: tuple[str, ...], keep_holidays: bool) -> None:
    params = {"rrule": [rrule], "start": [start], "timezone": [timezone],
              "duration": [str(duration)], "holiday": list(holiday),
              "skipHolidays": ["false" if keep_holidays else "true"]}
    with system_unit("programs-schedule", write=True) as service:
        created = schedule.schedule(service, local_id(cohort, "Group"), params)
    for entry in created["entry"]:
        session = entry["resource"]
        topic = next((t.get("text") for t in session.get("type") or []), "")
        click.echo(f"Encounter/{session['id']}\t{session['period']['start']}\t{topic}")


@programs_group.command("needs", help="A cohort's needs summary (FHIR Parameters JSON).")
@click.option("--cohort", required=True, help="Group/ID")
@with_appcontext
@one_line_errors
def needs_(cohort: str) -> None:
    with system_unit("programs-needs", write=False) as service:
        summary = needs.needs_summary(service, local_id(cohort, "Group"))
    click.echo(json.dumps(summary, indent=2, ensure_ascii=False))


@programs_group.command("progress", help="A cohort's progress (FHIR Parameters JSON).")
@click.option("--cohort", required=True, help="Group/ID")
@click.option("--missed", default=3, show_default=True,
              help="At risk: attended none of the last N held sessions.")
@with_appcontext
@one_line_errors
def progress_(cohort: str, missed: int) -> None:
    with system_unit("programs-progress", write=False) as service:
        figures = progress.progress(service, local_id(cohort, "Group"),
                                    {"missed": [str(missed)]})
    click.echo(json.dumps(figures, indent=2, ensure_ascii=False))


@click.group("certificate", help="Certificates of participation.")
def certificate_group() -> None:
    pass


@certificate_group.command("issue", help="Issue a mentee's certificate (PDF) for a program; "
                           "prints the verification code on stderr.")
@click.option("--mentee", required=True, help="PractitionerRole/ID")
@click.option("--program", required=True, help="HealthcareService/ID")
@click.option("--lang", type=click.Choice(certificates.LANGUAGES), default=None,
              help="Default: the mentee's language, else English.")
@click.option("-o", "output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the PDF here (default: stdout).")
@with_appcontext
@one_line_errors
def issue(mentee: str, program: str, lang: str | None, output: str | None) -> None:
    with system_unit("certificate-issue", write=True) as service:
        issued = certificates.issue(service, local_id(mentee, "PractitionerRole"), program,
                                    lang)
    if output:
        with open(output, "wb") as handle:
            handle.write(issued.pdf)
    else:
        sys.stdout.buffer.write(issued.pdf)
    click.echo(f"{issued.code}\t{issued.reference}\t{issued.hours:g} h", err=True)


@certificate_group.command("verify", help="Check a verification code: name and hours.")
@click.argument("code")
@with_appcontext
@one_line_errors
def verify(code: str) -> None:
    with system_unit("certificate-verify", write=False) as service:
        found = certificates.verify(service, code)
    click.echo(f"valid\t{found['name']}\t{found['hours']:g} h")
