"""``registry security``: authorization compartments."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from registry.cli.common import system_unit
from registry.services.compartment import rebuild


@click.group("security", help="Authorization compartments.")
def group() -> None:
    pass


@group.command("rebuild", help="Derive every resource's compartment again (after upgrading a "
               "populated database to 0002_security, or moving spokes).")
@with_appcontext
def rebuild_command() -> None:
    with system_unit("security-rebuild", write=True) as service:
        count = rebuild(service.ctx.conn, service.ctx.base_url)
    click.echo(f"{count} compartments derived")
