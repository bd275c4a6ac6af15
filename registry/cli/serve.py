"""``registry serve``: the production server."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from registry.cli.common import database, node
from registry.server import run_gunicorn


@click.command("serve", help="Serve the registry with gunicorn (production WSGI server).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int, workers: int, threads: int) -> None:
    problem = database().check()
    if problem is not None:
        raise click.ClickException(f"cannot serve: {problem}")
    configured = node().base_url
    base = configured or f"taken from each request (http://{host}:{port}/fhir here)"
    click.echo(f"FHIR base URL: {base}" + ("" if configured else
               "; set REGISTRY_BASE_URL behind a proxy that does not forward its host"),
               err=True)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    database().dispose()  # the check's connection must not be inherited by the workers
    run_gunicorn(app, host=host, port=port, workers=workers, threads=threads,
                 timeout=app.config["REGISTRY"].request_timeout_seconds)
