"""``registry demo``: the synthetic demo network and its activity."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from registry.cli.common import one_line_errors, system_unit
from registry.services.demo import DemoRun, expected_resources, load_demo
from registry.services.loading import is_empty


@click.command("demo", help="Load the synthetic demo: directory, sessions with attendance, "
               "cases with follow-ups and recommendations (deterministic, idempotent).")
@click.option("--seed", default=2026, show_default=True, type=int)
@click.option("--scale", default=1.0, show_default=True, type=float,
              help="1.0 is about 3,700 directory resources: 13 hubs, 160 spokes, 1,573 "
              "practitioners.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database holds data.")
@click.option("--batch", default=1000, show_default=True, type=int)
@with_appcontext
@one_line_errors
def demo(seed: int, scale: float, if_empty: bool, batch: int) -> None:
    if scale <= 0 or batch <= 0:
        raise click.ClickException("--scale and --batch must be positive")
    with system_unit("demo", write=False) as service:
        if if_empty and not is_empty(service.ctx.conn):
            click.echo("database is not empty; demo not loaded")
            return
    with tqdm(total=expected_resources(scale), unit="res", desc="demo") as bar:
        def advance(count: int) -> None:
            bar.update(count)
        run = DemoRun(seed, scale, lambda: system_unit("demo", write=True), batch, advance)
        lines = load_demo(run)
    for line in lines:
        click.echo(line)
