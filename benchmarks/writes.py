"""``python -m benchmarks.writes``: do single writes scale with concurrent clients?

Creates (``POST /Practitioner``) and updates (``PUT /Practitioner/{id}`` of loaded
practitioners, each request a new version of a different resource, so that clients do not
queue on one row) are sent by 1, 4 and 8 client threads against ``registry serve`` on a freshly
loaded network. Each row gives throughput, p50 and p95 latency, and the CPU per request spent
by the server and by the database (``benchmarks.cpu``), so a change in throughput can be told
apart from a change in cost. Each row also gives the cores its three processes used together
and the whole machine's busy cores (other tenants included), and on PostgreSQL what the
database's active sessions waited on (``benchmarks.waits``): a row that neither fills the
cores nor waits on locks is waiting on its commits' WAL flushes. The JSON result is written
under ``benchmarks/results/``.

This is the question of the write issue: with one global writer lock, throughput stays flat
from one client to four; with row locks and a history frontier it should grow with the cores
the server and the database can use.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import orjson

from benchmarks.__main__ import positive
from benchmarks.client import Call, Driver
from benchmarks.cpu import CpuMeter, CpuSnapshot
from benchmarks.databases import bench_databases
from benchmarks.dataset import Resource, load_network, network_resources, without_server_meta
from benchmarks.report import code_version
from benchmarks.runner import RATE_LIMIT, _analyze, _headers, _token
from benchmarks.server import LOOPBACK, ServerProcess, free_port, registry_command
from benchmarks.settings import POSTGRES_SERVER, RESULTS_DIR, parse_scale, scale_label
from benchmarks.waits import MachineCpu, WaitSampler
from registry.app import build_node
from registry.config import load_settings
from registry.storage.database import create_engine


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.writes",
                                description=__doc__.splitlines()[0])
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    p.add_argument("--scale", type=parse_scale, default=parse_scale("10k"))
    p.add_argument("--clients", default="1,4,8",
                   help="comma-separated client thread counts (default 1,4,8)")
    p.add_argument("--requests", type=positive, default=600,
                   help="requests per row at most")
    p.add_argument("--duration", type=float, default=20.0, help="seconds per row at most")
    p.add_argument("--workers", type=positive, default=2)
    p.add_argument("--threads", type=positive, default=4)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--out", type=Path, default=RESULTS_DIR)
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    try:
        args.client_counts = sorted({int(c) for c in args.clients.split(",")})
    except ValueError:
        p.error(f"--clients must be whole numbers separated by commas, got {args.clients!r}")
    if not args.client_counts or min(args.client_counts) < 1:
        p.error("--clients must name at least one count of 1 or more")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="registry-writes-") as tmp:
        work = Path(tmp)
        with bench_databases(args.db, work, POSTGRES_SERVER) as dbs:
            port = free_port()
            base_url = f"http://{LOOPBACK}:{port}/fhir"
            node = build_node(load_settings({"database_url": dbs.registry_url,
                                             "base_url": base_url}, environ={}), work)
            engine = create_engine(dbs.registry_url)
            try:
                network = load_network(engine, node, network_resources(args.scale, args.seed),
                                       target=args.scale, seed=args.seed,
                                       progress=not args.no_progress)
                _analyze(engine)
                headers = _headers(_token(engine))
            finally:
                engine.dispose()
            practitioners = network.sample("Practitioner")
            env = {"REGISTRY_DATABASE_URL": dbs.registry_url, "REGISTRY_BASE_URL": base_url,
                   "REGISTRY_LOG_LEVEL": "WARNING", "REGISTRY_RATE_LIMIT": RATE_LIMIT}
            command = registry_command(port=port, workers=args.workers, threads=args.threads)
            rows = []
            on_postgres = args.db == "postgresql"
            with (ServerProcess(command, port=port, env=env, log_path=work / "registry.log",
                                ready_path="/fhir/metadata", sample_memory=False) as server,
                  _waits(dbs.registry_url, on_postgres) as waits):
                assert server.process is not None
                excluded = frozenset({waits.excluded_pid} if waits else ())
                cpu = CpuMeter(server.process.pid, database=on_postgres, excluded=excluded)
                for round_no, clients in enumerate(args.client_counts):
                    for kind in ("create", "update"):
                        calls = _calls(kind, practitioners, args.requests, round_no)
                        rows.append(_measure(args, port, headers, (cpu, waits), kind, clients,
                                             calls))
    return {"meta": {"db": args.db, "scale": scale_label(args.scale), "code": code_version(),
                     "workers": args.workers, "threads": args.threads,
                     "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
            "rows": rows}


def _calls(kind: str, practitioners: list[Resource], count: int, round_no: int) -> list[Call]:
    """``count`` distinct requests: no two updates of one row in one round, none repeated."""
    rng = random.Random(round_no)
    calls = []
    for i in range(count):
        source = without_server_meta(practitioners[i % len(practitioners)])
        body = dict(source, name=[{"family": f"Bench{round_no}x{i}",
                                   "given": [rng.choice(["Ana", "Luis", "Rosa", "Joao"])]}])
        if kind == "create":
            body.pop("id", None)
            body.pop("identifier", None)  # identifiers are unique per system
            calls.append(Call("POST", "/fhir/Practitioner", orjson.dumps(body)))
        else:
            if i >= len(practitioners):
                break  # one update per loaded practitioner per round
            calls.append(Call("PUT", f"/fhir/Practitioner/{body['id']}", orjson.dumps(body)))
    return calls


def _waits(url: str, on_postgres: bool) -> WaitSampler | nullcontext[None]:
    return WaitSampler(url) if on_postgres else nullcontext()


def _measure(args: argparse.Namespace, port: int, headers: dict[str, str],
             meters: tuple[CpuMeter, WaitSampler | None], kind: str, clients: int,
             calls: list[Call]) -> dict[str, Any]:
    cpu, waits = meters
    warm, measured = calls[:clients * 4], calls[clients * 4:]
    driver = Driver(LOOPBACK, port, headers, threads=clients, duration=args.duration,
                    max_requests=len(measured), progress=not args.no_progress)
    driver.warm(warm, len(warm))
    machine, before = MachineCpu(), cpu.snapshot()
    if waits:
        waits.start()
    result = driver.run(measured, f"{kind} x{clients}")
    if waits:
        waits.stop()
    after = cpu.snapshot()
    summary = result.summary()
    return {"kind": kind, "clients": clients, **summary,
            "cpu_us_per_request": cpu.per_request(before, after, result.requests),
            "cores": {"used": _cores(before, after, result.seconds),
                      "machine_busy": machine.busy_cores()},
            "waits": waits.shares() if waits else None}


def _cores(before: CpuSnapshot, after: CpuSnapshot, seconds: float) -> float:
    """CPU seconds of the server, the database and the client over the wall-clock seconds."""
    spent = sum(seconds_after - getattr(before, group).get(pid, 0.0)
                for group in ("server", "database", "client")
                for pid, seconds_after in getattr(after, group).items())
    return round(spent / seconds, 2) if seconds > 0 else 0.0


def render(result: dict[str, Any]) -> str:
    meta = result["meta"]
    lines = [f"writes on {meta['db']} at {meta['scale']} ({meta['workers']} workers x "
             f"{meta['threads']} threads), code {meta['code']}",
             f"{'kind':<8}{'clients':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
             f"{'server µs':>11}{'db µs':>9}{'errors':>8}{'cores':>7}{'machine':>9}"]
    for row in result["rows"]:
        cpu, cores = row["cpu_us_per_request"], row["cores"]
        db = "-" if cpu["database"] is None else f"{cpu['database']:,.0f}"
        lines.append(f"{row['kind']:<8}{row['clients']:>8}{row['requests_per_s']:>9,.1f}"
                     f"{row['p50_ms']:>9.2f}{row['p95_ms']:>9.2f}{cpu['server']:>11,.0f}"
                     f"{db:>9}{row['errors']:>8}{cores['used']:>7.2f}"
                     f"{cores['machine_busy']:>9.2f}")
    waits = [r for r in result["rows"] if r.get("waits")]
    if waits:
        lines.append("database sessions, share of active samples (CPU = waiting on nothing):")
    for row in waits:
        shares = ", ".join(f"{event} {share:.0%}" for event, share in row["waits"].items())
        lines.append(f"  {row['kind']} x{row['clients']}: {shares}")
    by = {(r["kind"], r["clients"]): r["requests_per_s"] for r in result["rows"]}
    for kind in ("create", "update"):
        one = by.get((kind, 1))
        for (k, clients), rate in sorted(by.items()):
            if k == kind and clients > 1 and one:
                lines.append(f"{kind}: {clients} clients {rate / one:.2f}x one client")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    result = run(args)
    print(render(result))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"writes-{result['meta']['db']}-{result['meta']['scale']}.json"
    path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(f"\nresult: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
