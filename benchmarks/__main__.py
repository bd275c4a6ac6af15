"""``python -m benchmarks --scale 100k --db sqlite``: run, print the table, write the JSON.

Several ``--scale`` values run one after the other and end with the scaling table (search p50
at the largest scale over the smallest); ``--compare A.json B.json`` prints that table from
two earlier results without running anything.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import orjson

from benchmarks import report
from benchmarks.settings import RESULTS_DIR, BenchSettings, parse_scale


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1, or a one-line error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_args(argv: list[str]) -> argparse.Namespace:
    defaults = BenchSettings()
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--scale", action="append", type=parse_scale,
                   help="resources to load: 10k, 100k, 1m or a number (repeatable; "
                        "default 100k)")
    p.add_argument("--db", choices=("sqlite", "postgresql"), default=defaults.db)
    p.add_argument("--workers", type=positive, default=defaults.workers)
    p.add_argument("--threads", type=positive, default=defaults.threads)
    p.add_argument("--clients", type=positive, default=defaults.clients,
                   help="client threads for the read and search workloads")
    p.add_argument("--duration", type=float, default=defaults.duration,
                   help="seconds per workload at most")
    p.add_argument("--requests", type=positive, default=defaults.requests,
                   help="requests per workload at most")
    p.add_argument("--rounds", type=positive, default=defaults.rounds,
                   help="paired registry/floor rounds of each read and search workload; the "
                        "round with the median ratio is reported")
    p.add_argument("--bundles", type=positive, default=defaults.bundles)
    p.add_argument("--bundle-size", type=positive, default=defaults.bundle_size)
    p.add_argument("--history-seconds", type=float, default=defaults.history_seconds)
    p.add_argument("--floor-repeats", type=positive, default=defaults.floor_repeats)
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--postgres-server", default=defaults.postgres_server,
                   help="server URL used to create and drop the bench databases")
    p.add_argument("--tag", default="", help="appended to the result's label and file name")
    p.add_argument("--out", type=Path, default=RESULTS_DIR)
    p.add_argument("--work-dir", type=Path, default=None,
                   help="SQLite files and server logs (default: a temporary directory)")
    p.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("SMALL.json", "LARGE.json"),
                   help="print the scaling table of two results and exit")
    return p.parse_args(argv)


def settings_from(args: argparse.Namespace) -> BenchSettings:
    return BenchSettings(
        db=args.db, seed=args.seed, workers=args.workers, threads=args.threads,
        clients=args.clients, duration=args.duration, requests=args.requests,
        rounds=args.rounds,
        bundles=args.bundles, bundle_size=args.bundle_size,
        history_seconds=args.history_seconds, floor_repeats=args.floor_repeats,
        postgres_server=args.postgres_server, work_dir=args.work_dir, out_dir=args.out,
        progress=not args.no_progress, keep=args.keep, tag=args.tag)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.compare:
        small, large = (report.load_result(p) for p in args.compare)
        print(report.render_scaling(report.scaling(small, large)))
        return 0
    from benchmarks.runner import run

    base = settings_from(args)
    results = []
    for scale in sorted(args.scale or [base.scale]):
        result = run(replace(base, scale=scale))
        path = report.write_json(result, base.out_dir)
        print(report.render(result))
        print(f"\nresult: {path}\n")
        results.append(result)
    if len(results) > 1:
        table = report.scaling(results[0], results[-1])
        print(report.render_scaling(table))
        path = base.out_dir / f"scaling-{results[0]['meta']['label']}-" \
                              f"{results[-1]['meta']['label']}.json"
        path.write_bytes(orjson.dumps(table, option=orjson.OPT_INDENT_2))
        print(f"\nscaling: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
