"""The ``registry`` command line (also reachable as ``flask --app wsgi ...``).

Every command runs through the same services as the HTTP API, in one unit of work; a failure
prints one line on stderr and exits non-zero.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

from registry.cli import (
    attendance,
    db,
    deid,
    demo,
    evaluation,
    federation,
    measures,
    programs,
    security,
    serve,
    tokens,
)
from registry.config import ConfigError, load_settings

GROUPS = (db.group, tokens.group, security.group, attendance.group, evaluation.group,
          evaluation.report_group, measures.group, programs.calendar_group,
          programs.programs_group, programs.certificate_group, federation.node_group,
          federation.peer_group, federation.duplicates_group, deid.group)
COMMANDS = (serve.serve, demo.demo, federation.sync)
FLASK_OPTIONS = frozenset({"env_file", "app", "debug"})


def init_app(app: Flask) -> None:
    """Register the commands on ``app.cli`` (``flask --app wsgi ...``)."""
    for command in (*GROUPS, *COMMANDS):
        app.cli.add_command(command)


def _create_app() -> Flask:
    from registry.app import create_app

    app = create_app()
    init_app(app)
    return app


class RegistryGroup(FlaskGroup):
    """Flask's command group without Flask's own options: the app is always the registry."""

    def __init__(self, **extra: Any) -> None:
        super().__init__(create_app=_create_app, add_default_commands=False,
                         add_version_option=False, **extra)
        self.params = [p for p in self.params if p.name not in FLASK_OPTIONS]


@click.group(cls=RegistryGroup, name="registry", help="Telementoring Network Registry.")
@click.version_option(package_name="telementoring-registry", prog_name="registry")
def cli() -> None:
    pass


def main() -> None:
    try:
        load_settings()  # a bad setting is one line, before anything else runs
    except ConfigError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    cli.main(prog_name="registry", args=sys.argv[1:])
