"""``python -m benchmarks.idle_memory``: what a started server holds before any work, and how
long a ``registry`` command takes to start.

Starts ``registry serve`` (gunicorn, ``--workers`` x ``--threads``) on a fresh, migrated,
empty database, waits until every worker has booted and answered ``/fhir/metadata``, lets it
settle, and reads the RSS and PSS of the master and of each worker. It also lists which of the
heavy analysis libraries (numpy, scipy, statsmodels, pandas, matplotlib, Pillow) each
process has mapped (their compiled extensions in ``/proc/PID/maps``): a worker that serves
FHIR requests should have none of them until it analyses, charts or prints something. Then it
times ``registry --help`` (``--starts`` times; a command imports the whole CLI before it does
anything). The JSON result is written under ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import psutil

from benchmarks.__main__ import positive
from benchmarks.databases import bench_databases
from benchmarks.report import code_version
from benchmarks.server import LOOPBACK, ServerProcess, free_port, registry_command
from benchmarks.settings import POSTGRES_SERVER, RESULTS_DIR

# Compiled parts that each library maps when imported (a path fragment of its site-packages).
# fpdf2 is pure Python and maps nothing: the architecture test checks it (and the others) by
# module name inside a worker.
HEAVY_LIBRARIES = {"numpy": "/numpy/", "scipy": "/scipy/", "statsmodels": "/statsmodels/",
                   "pandas": "/pandas/", "matplotlib": "/matplotlib/", "Pillow": "/PIL/"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.idle_memory",
                                description=__doc__.splitlines()[0])
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--workers", type=positive, default=2)
    p.add_argument("--threads", type=positive, default=4)
    p.add_argument("--settle", type=float, default=3.0,
                   help="seconds to wait after the workers booted before reading memory")
    p.add_argument("--starts", type=positive, default=3,
                   help="times `registry --help` is timed (default 3)")
    p.add_argument("--out", type=Path, default=RESULTS_DIR)
    return p.parse_args(argv)


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="registry-idle-") as tmp:
        work = Path(tmp)
        with bench_databases(args.db, work, POSTGRES_SERVER) as dbs:
            port = free_port()
            env = {"REGISTRY_DATABASE_URL": dbs.registry_url,
                   "REGISTRY_BASE_URL": f"http://{LOOPBACK}:{port}/fhir",
                   "REGISTRY_LOG_LEVEL": "WARNING"}
            command = registry_command(port=port, workers=args.workers, threads=args.threads)
            with ServerProcess(command, port=port, env=env, log_path=work / "registry.log",
                               ready_path="/fhir/metadata", sample_memory=False) as server:
                assert server.process is not None
                time.sleep(args.settle)
                processes = _processes(server.process.pid)
    return {"meta": {"db": args.db, "workers": args.workers, "threads": args.threads,
                     "code": code_version(),
                     "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
            "processes": processes,
            "rss_mb": round(sum(p["rss_mb"] for p in processes), 1),
            "pss_mb": round(sum(p["pss_mb"] for p in processes), 1),
            "help_seconds": _help_seconds(args.starts)}


def _processes(pid: int) -> list[dict[str, Any]]:
    """Master first, then each worker: RSS, PSS and the heavy libraries it has mapped."""
    root = psutil.Process(pid)
    found = []
    for role, process in [("master", root), *(("worker", c) for c in root.children())]:
        memory = process.memory_full_info()
        found.append({"role": role, "pid": process.pid, "rss_mb": round(memory.rss / 1e6, 1),
                      "pss_mb": round(getattr(memory, "pss", 0) / 1e6, 1),
                      "libraries": _mapped_libraries(process)})
    return found


def _mapped_libraries(process: psutil.Process) -> list[str]:
    paths = {m.path for m in process.memory_maps(grouped=True)}
    return sorted(name for name, fragment in HEAVY_LIBRARIES.items()
                  if any(fragment in path for path in paths))


def _help_seconds(starts: int) -> list[float]:
    """Wall-clock seconds of ``registry --help``, each in a fresh interpreter."""
    command = [sys.executable, "-c", "from registry.cli import main; main()", "--help"]
    times = []
    for _ in range(starts):
        began = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, timeout=120)
        times.append(round(time.perf_counter() - began, 2))
    return times


def render(result: dict[str, Any]) -> str:
    meta = result["meta"]
    lines = [f"idle server on {meta['db']} ({meta['workers']} workers x {meta['threads']} "
             f"threads), code {meta['code']}",
             f"{'process':<8}{'pid':>9}{'RSS MB':>9}{'PSS MB':>9}  analysis libraries loaded"]
    for p in result["processes"]:
        libraries = ", ".join(p["libraries"]) or "none"
        lines.append(f"{p['role']:<8}{p['pid']:>9}{p['rss_mb']:>9.1f}{p['pss_mb']:>9.1f}  "
                     f"{libraries}")
    lines.append(f"{'total':<17}{result['rss_mb']:>9.1f}{result['pss_mb']:>9.1f}")
    times = result["help_seconds"]
    lines.append(f"registry --help: median {statistics.median(times):.2f} s "
                 f"({', '.join(f'{t:.2f}' for t in times)})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    result = run(args)
    print(render(result))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"idle-memory-{result['meta']['db']}.json"
    path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(f"\nresult: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
