"""``registry measures``: evaluate, release, the ledger, export and import of outcomes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from registry.cli.common import one_line_errors, system_unit
from registry.config import Settings
from registry.errors import RegistryError
from registry.services.outcomes import exchange, facts
from registry.services.outcomes.disclosure import DisclosureError
from registry.services.reporting import outcomes_service

PERIOD = click.option("--period", required=True, metavar="P", help="YYYY, YYYY-Qn or YYYY-MM.")


@click.group("measures", help="Aggregate outcomes: indicators, disclosure control, exchange.")
def group() -> None:
    pass


def _settings() -> Settings:
    return current_app.config["REGISTRY"]  # type: ignore[no-any-return]


def _output(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=not text.endswith("\n"))


@group.command("evaluate", help="Compute and store every indicator's report (pending).")
@PERIOD
@click.option("--hub", default=None, metavar="Organization/ID", help="One hub's reports.")
@with_appcontext
@one_line_errors
def evaluate(period: str, hub: str | None) -> None:
    with system_unit("measures-evaluate", write=True) as service:
        reports = outcomes_service(service).evaluate(period, hub)
    click.echo(f"{len(reports)} reports evaluated for {period} (pending)")


@group.command("release", help="Release a period's reports through disclosure control.")
@PERIOD
@click.option("--to", "to", default=None, metavar="PEER",
              help="The aggregator peer that gets exact figures (REGISTRY_AGGREGATORS).")
@with_appcontext
def release(period: str, to: str | None) -> None:
    try:
        with system_unit("measures-release", write=True) as service:
            done = outcomes_service(service).release(period, to)
    except DisclosureError as exc:
        for issue in exc.issues:
            click.echo(f"Error: {issue.diagnostics}", err=True)
        raise SystemExit(1) from None
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    if done.record is None:
        click.echo(f"{period}: the same figures were released before; nothing new")
        return
    audience = to or "everyone (masked)"
    audit = f"; {done.audit.summary()}" if done.audit else ""
    click.echo(f"{period}: {len(done.reports)} reports released to {audience}, ledger version "
               f"{done.record.version}, sha256 {done.record.sha256[:16]}{audit}")


@group.command("ledger", help="The release ledger, one line per release.")
@click.option("--period", default=None, metavar="P")
@with_appcontext
@one_line_errors
def ledger(period: str | None) -> None:
    with system_unit("measures-ledger", write=False) as service:
        records = outcomes_service(service).ledger(period)
    for r in records:
        kind = "exact" if r.exact else "masked"
        click.echo(f"{r.released_at}  {r.period}  v{r.version}  {r.audience}  {kind}  "
                   f"threshold {r.threshold}  {len(r.reports)} reports  by {r.released_by}  "
                   f"sha256 {r.sha256}")


@group.command("export", help="Export what was released (masked figures).")
@PERIOD
@click.option("--format", "fmt", required=True,
              type=click.Choice(sorted(exchange.EXPORT_FORMATS)))
@click.option("-o", "output", default=None, metavar="FILE")
@with_appcontext
@one_line_errors
def export(period: str, fmt: str, output: str | None) -> None:
    with system_unit("measures-export", write=False) as service:
        reports = outcomes_service(service).released(period)
    if not reports:
        raise click.ClickException(f"Nothing released for {period}: run "
                                   f"'registry measures release --period {period}' first")
    mapping = exchange.dhis2_mapping(_settings().dhis2_mapping) if fmt == "dhis2" else None
    text, _ = exchange.export(reports, fmt, mapping=mapping,
                              exported=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    _output(text, output)


@group.command("import", help="Import DHIS2 or ADX figures as pending reports (all or none).")
@click.option("--format", "fmt", required=True, type=click.Choice(exchange.IMPORT_FORMATS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
@one_line_errors
def import_(fmt: str, file: str) -> None:
    mapping = exchange.dhis2_mapping(_settings().dhis2_mapping) if fmt == "dhis2" else None
    reports = exchange.parse(fmt, Path(file).read_bytes(), mapping)
    with system_unit("measures-import", write=True) as service:
        count = outcomes_service(service).import_reports(reports)
    click.echo(f"{count} reports imported from {file} (pending)")


@group.command("rollup", help="Combine the reports imported from other nodes into this "
                              "node's network-level reports (pending).")
@PERIOD
@with_appcontext
@one_line_errors
def rollup(period: str) -> None:
    with system_unit("measures-rollup", write=True) as service:
        reports = outcomes_service(service).rollup(period)
    click.echo(f"{len(reports)} network-level reports combined for {period} (pending)")


@group.command("refresh-facts", help="Derive the outcome facts of every stored resource again "
                                     "(once, after upgrading a database that holds data).")
@with_appcontext
@one_line_errors
def refresh_facts() -> None:
    with system_unit("measures-refresh-facts", write=True) as service:
        count = facts.refresh(service.ctx.conn)
    click.echo(f"outcome facts derived for {count} resources")
