"""``registry deid``: de-identification checks over what is already stored."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from registry.cli.common import one_line_errors, system_unit
from registry.services.deidentify.scan import CASE_TYPES, scan_stored


@click.group("deid", help="De-identification of case presentations.")
def group() -> None:
    pass


@group.command("scan", help="Scan stored case content with today's rules for identifiers left "
               "in its free text; exits 1 when any is found. Values are never printed.")
@click.option("--type", "types", multiple=True, metavar="TYPE",
              help="Resource type to scan (repeatable); default: the case types "
                   f"({', '.join(CASE_TYPES)}).")
@with_appcontext
@one_line_errors
def scan(types: tuple[str, ...]) -> None:
    with system_unit("deid-scan", write=False) as service:
        read, residues = scan_stored(service.ctx.conn, types or CASE_TYPES)
    for found in residues:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(found.kinds.items()))
        click.echo(f"{found.reference}: residual identifiers ({kinds})", err=True)
    click.echo(f"{read} resources scanned, {len(residues)} with residual identifiers")
    if residues:
        raise SystemExit(1)
