"""``registry evaluation open|import`` and ``registry report evaluation``."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from adapters.redcap import RedcapError, read_csv
from registry.cli.common import base_url, one_line_errors, system_unit
from registry.services.evaluations import collection
from registry.services.evaluations.demo import add_demo_evaluations


@click.group("evaluation", help="Pre- and post-evaluations: survey windows and CSV imports.")
def group() -> None:
    pass


@group.command("open", help="Open a pre or post window for a cohort: prints one personal link "
               "per mentee (single use, expiring when the window closes).")
@click.option("--program", required=True, help="HealthcareService/ID")
@click.option("--cohort", required=True, help="Group/ID (its PractitionerRole members)")
@click.option("--phase", required=True, type=click.Choice(["pre", "post"]))
@click.option("--closes", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day of the window (default: in 14 days).")
@click.option("--instrument", "instruments", multiple=True,
              help="Questionnaire canonical url (repeatable; default: the program topic's "
                   "knowledge test, self-efficacy, and satisfaction after).")
@click.option("--lang", type=click.Choice(["en", "es", "pt", "fr"]), default=None,
              help="Language of every form (default: each mentee's own).")
@with_appcontext
@one_line_errors
def open_(program: str, cohort: str, phase: str, closes: datetime | None,
          instruments: tuple[str, ...], lang: str | None) -> None:
    with system_unit("evaluation-open", write=True) as service:
        invitations = collection.open_window(service, program, cohort, phase,
                                             closes=closes.date() if closes else None,
                                             chosen=instruments, language=lang)
    site = base_url().removesuffix("/fhir")
    for invitation in invitations:
        click.echo(f"{invitation.mentee}\t{invitation.language}\t{site}/survey/"
                   f"{invitation.token}")


@group.command("import", help="Import responses from a REDCap or spreadsheet CSV export; one "
               "transaction: a bad row is named and nothing is written.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--program", required=True, help="HealthcareService/ID")
@click.option("--cohort", default=None, help="Group/ID")
@click.option("--phase", required=True, type=click.Choice(["pre", "post"]))
@click.option("--instrument", required=True, help="Questionnaire canonical url")
@with_appcontext
@one_line_errors
def import_(file: Path, program: str, cohort: str | None, phase: str, instrument: str) -> None:
    try:
        data = read_csv(file.read_bytes())
    except RedcapError as exc:
        raise click.ClickException(f"{file.name}: {exc}") from None
    with system_unit("evaluation-import", write=True) as service:
        written = collection.import_rows(
            service, data, program=program, cohort=cohort, phase=phase,
            instrument_url=instrument, file_name=file.name, importer="registry evaluation import")
    click.echo(f"{len(written)} responses imported from {file.name}")


@group.command("demo", help="Add cohorts and pre/post responses to the loaded demo network.")
@click.option("--seed", default=2026, show_default=True, type=int)
@with_appcontext
@one_line_errors
def demo(seed: int) -> None:
    with system_unit("demo", write=True) as service:
        report = add_demo_evaluations(service, seed)
    click.echo(f"demo evaluations: {report.written} written, {report.unchanged} unchanged")


@click.group("report", help="Documents built from the registry's data.")
def report_group() -> None:
    pass


@report_group.command("evaluation", help="The detailed evaluation report of a program.")
@click.option("--program", required=True, help="HealthcareService/ID")
@click.option("--cohort", default=None, help="Group/ID (default: every cohort)")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf"]), default="html",
              show_default=True)
@click.option("--lang", type=click.Choice(["en", "es", "pt", "fr"]), default=None,
              help="Default: the program's language.")
@click.option("-o", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE instead of stdout.")
@with_appcontext
@one_line_errors
def evaluation_report(program: str, cohort: str | None, fmt: str, lang: str | None,
                      output: Path | None) -> None:
    kind, _, program_id = program.partition("/")
    if kind != "HealthcareService" or not program_id:
        raise click.ClickException(f"--program takes HealthcareService/ID, not {program!r}")
    with system_unit("evaluation-report", write=False) as service:
        # imported here: matplotlib and fpdf2 would add seconds to every start-up
        from registry.services.evaluations.report import program_report
        document = program_report(service, program_id, cohort, fmt, lang)
    if output is None:
        sys.stdout.buffer.write(document)
    else:
        output.write_bytes(document)
