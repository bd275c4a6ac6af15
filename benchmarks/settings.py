"""What one benchmark run is asked to do, parsed from the command line into one frozen value.

Scales are written the way people say them (``10k``, ``1m``) because that is how the issue and
the README quote them; every other knob has a default that keeps a 100k run under ten minutes on
a 2-core machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SOURCE_ROOT = Path(__file__).resolve().parent.parent  # the checkout; `benchmarks` imports from it
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
_SCALE = re.compile(r"^(\d+(?:\.\d+)?)([km]?)$", re.IGNORECASE)


def parse_scale(text: str) -> int:
    """``10k`` -> 10_000, ``1m`` -> 1_000_000, ``2500`` -> 2_500."""
    match = _SCALE.match(text.strip())
    if not match:
        raise ValueError(f"scale must look like 10k, 100k, 1m or a number, got {text!r}")
    factor = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    return int(float(match.group(1)) * factor)


def scale_label(resources: int) -> str:
    if resources >= 1_000_000 and resources % 1_000_000 == 0:
        return f"{resources // 1_000_000}m"
    if resources >= 1_000 and resources % 1_000 == 0:
        return f"{resources // 1_000}k"
    return str(resources)


@dataclass(frozen=True)
class BenchSettings:
    """One run: data size, database, server shape, client shape and per-workload budgets."""

    scale: int = 100_000
    db: str = "sqlite"  # sqlite | postgresql
    seed: int = 2026
    workers: int = 2  # gunicorn workers, as `registry serve` defaults
    threads: int = 4  # gunicorn threads per worker
    clients: int = 4  # client threads for read/search workloads
    duration: float = 8.0  # seconds per workload (at most)
    rounds: int = 3  # paired registry/floor rounds of each read-only workload; median reported
    requests: int = 3_000  # requests per workload (at most)
    bundles: int = 6  # transaction Bundles of `bundle_size` resources
    bundle_size: int = 1_000
    history_page: int = 1_000
    history_seconds: float = 600.0  # a full sync stops here at the latest
    floor_repeats: int = 200  # hand-written SQL executions per search floor
    batch: int = 1_000  # resources per load transaction
    postgres_server: str = POSTGRES_SERVER
    work_dir: Path | None = None  # SQLite files and server logs; a temporary directory if None
    out_dir: Path = RESULTS_DIR
    progress: bool = True
    keep: bool = False  # keep the databases after the run (for profiling)
    tag: str = ""  # appended to the result's label, e.g. "prototype"

    @property
    def label(self) -> str:
        return "-".join(p for p in (scale_label(self.scale), self.db, self.tag) if p)
