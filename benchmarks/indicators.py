"""Indicator evaluation against its floor: every fact-based indicator for one year.

Loads the benchmark network (directory plus session Encounters with attendance, through the
write path, so the outcome facts are the ones kept on write), then, for each indicator,
times ``registry.services.outcomes.evaluation.figures`` (members in SQL, every stratum) next
to the floor: one hand-written SQL query over the fact rows giving the same total. The
indicators read from attendances share one query per run, as ``registry measures evaluate``
does; the first of them carries its cost. Prints a
table and the ratio; the issue asks for every indicator within 3x of the floor and under 10 s
in all at 1M resources.

    python -m benchmarks.indicators [--scale 100k] [--db sqlite|postgresql] [--year 2025]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from benchmarks.databases import bench_databases
from benchmarks.dataset import load_network, maintain, network_resources
from benchmarks.settings import parse_scale
from registry.app import build_node
from registry.config import load_settings
from registry.services.outcomes import evaluation
from registry.services.outcomes.evaluation import Scope
from registry.services.outcomes.measures import catalogue
from registry.services.outcomes.periods import parse_period
from registry.storage.database import Connection, create_engine
from registry.storage.tables import outcome_fact

BASE = "http://bench.example.org/fhir"
F = outcome_fact.c


def _count(kind: str, distinct: sa.ColumnElement[str] | None = None
           ) -> Callable[[Connection, str, str], object]:
    def floor(conn: Connection, start: str, end: str) -> object:
        what = sa.func.count(sa.distinct(distinct)) if distinct is not None else sa.func.count()
        return conn.execute(sa.select(what).where(F.kind == kind, F.day >= start,
                                                  F.day <= end)).scalar()
    return floor


def _hours(conn: Connection, start: str, end: str) -> object:
    return conn.execute(sa.select(sa.func.count(), sa.func.sum(F.value))
                        .where(F.kind == "attendance", F.day >= start, F.day <= end)).one()


FLOORS: dict[str, Callable[[Connection, str, str], object]] = {
    "sessions-held": _count("session"),
    "participant-hours": _hours,
    "unique-participants": _count("attendance", F.link),
    "case-presentations": _count("case"),
    "recommendations-given": _count("recommendation"),
}


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="100k")
    parser.add_argument("--db", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--year", default="2025")
    parser.add_argument("--postgres-server",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    target = parse_scale(args.scale)
    with tempfile.TemporaryDirectory() as work, \
            bench_databases(args.db, Path(work), args.postgres_server) as databases:
        engine = create_engine(databases.registry_url)
        node = build_node(load_settings({"database_url": databases.registry_url, "base_url": BASE}),
                          Path(work))
        loaded = load_network(engine, node, network_resources(target, 2026), target=target)
        print(f"loaded {loaded.resources} resources in {loaded.seconds:.1f} s")
        if engine.dialect.name == "postgresql":
            maintain(engine, "VACUUM ANALYZE")
        period = parse_period(args.year)
        bounds = (period.start.isoformat(), period.end.isoformat())
        total = 0.0
        print(f"{'indicator':28} {'registry s':>10} {'floor s':>8} {'ratio':>6}")
        shared: dict[tuple[str, str, str], object] = {}
        with engine.connect() as conn:
            for indicator in catalogue().values():
                if indicator.key not in evaluation.evaluated_keys():
                    continue
                seconds = timed(lambda i=indicator: evaluation.figures(  # type: ignore[misc]
                    conn, i, Scope(period, BASE), shared=shared))
                total += seconds
                floor = FLOORS.get(indicator.key)
                floor_s = timed(lambda f=floor: f(conn, *bounds)) if floor else None
                ratio = f"{seconds / floor_s:6.1f}" if floor_s else "     -"
                shown = f"{floor_s:8.3f}" if floor_s is not None else "       -"
                print(f"{indicator.key:28} {seconds:10.3f} {shown} {ratio}")
        print(f"every indicator for {args.year}: {total:.2f} s")
        engine.dispose()


if __name__ == "__main__":
    main()
