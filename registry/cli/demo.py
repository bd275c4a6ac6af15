"""``registry demo``: the synthetic demo network."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from registry.cli.common import one_line_errors, system_unit
from registry.services.demo import expected_resources, generate_network
from registry.services.loading import LoadReport, batches, is_empty, load_batch


@click.command("demo", help="Load the synthetic demo network (deterministic, idempotent).")
@click.option("--seed", default=2026, show_default=True, type=int)
@click.option("--scale", default=1.0, show_default=True, type=float,
              help="1.0 is about 3,700 resources: 13 hubs, 160 spokes, 1,573 practitioners.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database holds resources.")
@click.option("--batch", default=1000, show_default=True, type=int)
@with_appcontext
@one_line_errors
def demo(seed: int, scale: float, if_empty: bool, batch: int) -> None:
    with system_unit("demo", write=False) as service:
        if if_empty and not is_empty(service.ctx.conn):
            click.echo("database is not empty; demo network not loaded")
            return
    report = LoadReport()
    with tqdm(total=expected_resources(scale), unit="res", desc="demo network") as bar:
        for chunk in batches(generate_network(seed=seed, scale=scale), batch):
            with system_unit("demo", write=True) as service:
                load_batch(service, chunk, report)
            bar.update(len(chunk))
    click.echo(f"demo network: {report.written} written, {report.unchanged} unchanged")
