"""One benchmark run, start to finish: databases, data, registry workloads, floors, report.

The order matters. The registry's writes and history sync are measured first with nothing
else running; then the HTTP floor server starts beside it, and the read-only workloads are
measured in paired rounds (registry, then floor, the same request targets with the same
client threads and budgets); then both stop and the in-process floors (write, SQL) run. Two
servers may be up at once, but only one is ever driven: only one thing at a time competes for
the two cores.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from benchmarks import report
from benchmarks.client import Driver, Measurement
from benchmarks.cpu import CpuMeter
from benchmarks.databases import BenchDatabases, bench_databases, database_size_mb
from benchmarks.dataset import (
    LoadedNetwork,
    Resource,
    load_network,
    maintain,
    network_resources,
    relabelled,
)
from benchmarks.floors import rows_for, sql_floor, write_floor
from benchmarks.history_sync import sync_everything
from benchmarks.report import HISTORY
from benchmarks.server import (
    LOOPBACK,
    MemorySampler,
    ServerProcess,
    floor_command,
    free_port,
    registry_command,
)
from benchmarks.settings import SOURCE_ROOT, BenchSettings
from benchmarks.workloads import Workload, build_workloads
from registry.app import build_node
from registry.config import load_settings
from registry.services import tokens
from registry.services.node import Node
from registry.storage.database import create_engine, transaction
from registry.storage.values import instant

# The per-token limit stays on (its cost is part of every request in production), but high
# enough that the benchmark's single token is never refused.
RATE_LIMIT = "1000000 per second"


def run(settings: BenchSettings) -> dict[str, Any]:
    """Run every workload and floor at ``settings.scale``; returns the JSON-ready result."""
    with _work_dir(settings) as work_dir, bench_databases(
            settings.db, work_dir, settings.postgres_server, keep=settings.keep) as dbs:
        return _run(settings, work_dir, dbs)


@contextmanager
def _work_dir(settings: BenchSettings) -> Iterator[Path]:
    if settings.work_dir is not None:
        settings.work_dir.mkdir(parents=True, exist_ok=True)
        yield settings.work_dir
        return
    with tempfile.TemporaryDirectory(prefix="registry-bench-") as path:
        yield Path(path)


def _run(settings: BenchSettings, work_dir: Path, dbs: BenchDatabases) -> dict[str, Any]:
    wall = time.perf_counter()
    port = free_port()
    base_url = f"http://{LOOPBACK}:{port}/fhir"
    node = build_node(load_settings({"database_url": dbs.registry_url, "base_url": base_url},
                                    environ={}), work_dir)
    engine = create_engine(dbs.registry_url)
    try:
        network = load_network(engine, node, network_resources(settings.scale, settings.seed),
                               target=settings.scale, batch=settings.batch, seed=settings.seed,
                               progress=settings.progress)
        _analyze(engine)
        workloads = build_workloads(network, settings, lambda n: _fresh(settings.seed, n))
        headers = _headers(_token(engine))
        env = {"REGISTRY_DATABASE_URL": dbs.registry_url, "REGISTRY_BASE_URL": base_url,
               "REGISTRY_LOG_LEVEL": "WARNING", "REGISTRY_RATE_LIMIT": RATE_LIMIT}
        code = report.code_version()  # what the server is about to import
        measured, http_floors, server_memory = _measure_servers(
            settings, port, env, headers, workloads, network, work_dir)
        size_mb = database_size_mb(dbs.registry_url)  # before the write floor adds its rows
        floors = _measure_floors(settings, engine, node, workloads)
        for name, floor in http_floors.items():
            floors.setdefault(name, {})["http"] = floor
    finally:
        engine.dispose()
    return report.build(settings=settings, network=network, workloads=workloads,
                        measured=measured, floors=floors, server_memory=server_memory,
                        database_mb=size_mb, seconds=time.perf_counter() - wall, code=code)


def _fresh(seed: int, count: int) -> list[Resource]:
    """``count`` new resources for the write workloads, from another seed of the generator."""
    from registry.services.demo import generate_network, scale_for

    return list(islice(generate_network(seed=seed + 1, scale=scale_for(count * 2)), count))


def _analyze(engine: Engine) -> None:
    """Vacuum and planner statistics after the bulk load, as autovacuum would soon do, then a
    checkpoint.

    Done before measuring so that neither autovacuum nor the checkpoint the load's WAL calls
    for (700 MB at 100k) starts in the middle of a workload.
    """
    if engine.dialect.name == "postgresql":
        maintain(engine, "VACUUM ANALYZE", "CHECKPOINT")


def _token(engine: Engine) -> str:
    with transaction(engine, write=True) as conn:
        plaintext, _ = tokens.create_token(conn, role="network-admin", name="benchmark", days=1)
    return plaintext


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json",
            "Content-Type": "application/fhir+json"}


def _driver(settings: BenchSettings, port: int, headers: dict[str, str],
            workload: Workload) -> Driver:
    return Driver(LOOPBACK, port, headers, threads=workload.threads,
                  duration=workload.duration, max_requests=workload.max_requests,
                  progress=settings.progress)


def _measure_servers(settings: BenchSettings, port: int, env: dict[str, str],
                     headers: dict[str, str], workloads: list[Workload],
                     network: LoadedNetwork, work_dir: Path
                     ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]],
                                dict[str, float]]:
    """The registry's figures, the HTTP floor's figures, and the registry's memory.

    Writes and the history sync run once on the registry alone. Then the floor server starts
    beside the idle registry, and each read-only workload is measured ``settings.rounds``
    times, registry then floor, seconds apart: on a shared machine whose speed drifts by
    15-40 % over minutes, a ratio of two figures measured minutes apart is mostly drift. The
    round with the median ratio is reported, every round's figures are kept in the JSON.
    """
    command = registry_command(port=port, workers=settings.workers, threads=settings.threads)
    responses: dict[str, bytes] = {}
    measured: dict[str, dict[str, Any]] = {}
    http_floors: dict[str, dict[str, Any]] = {}
    writes = [w for w in workloads if "write" in w.floors]
    paired = [w for w in workloads if "write" not in w.floors]
    with ServerProcess(command, port=port, env=env, log_path=work_dir / "registry.log",
                       ready_path="/fhir/metadata") as registry:
        memory = registry.memory
        assert memory is not None and registry.process is not None
        on_postgres = settings.db == "postgresql"  # only then does a database process run
        cpu = CpuMeter(registry.process.pid, database=on_postgres)
        idle_mb = memory.window_peak_mb()
        for workload in writes:
            measured[workload.name] = _measure(settings, port, headers, workload, memory, cpu,
                                               record=responses)
        for workload in paired:  # one answer per target, for the floor server to replay
            once = replace(_driver(settings, port, headers, workload),
                           max_requests=len(workload.calls))
            once.run(workload.calls, f"{workload.name} (record)", record=responses)
        answers = {w.name: report.answer_size([responses[c.target] for c in w.calls
                                               if c.target in responses]) for w in paired}
        memory.mark()
        sync = sync_everything(LOOPBACK, port, headers, since=instant(network.started),
                               page=settings.history_page, expected=network.resources,
                               seconds=settings.history_seconds, record=responses,
                               progress=settings.progress)
        measured[HISTORY] = {**_figures(sync.measurement, memory.window_peak_mb()),
                             "complete": sync.complete}
        history = Workload(HISTORY, "history replay", sync.recorded, threads=1,
                           max_requests=max(len(sync.recorded), 1) * 3,
                           duration=settings.duration, floors=("http",), warm_requests=2)
        with _floor_server(settings, work_dir, responses) as floor_server:
            floor_port = floor_server.port
            assert floor_server.process is not None
            floor_cpu = CpuMeter(floor_server.process.pid, database=on_postgres)
            rounds: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {
                w.name: [] for w in paired}
            for _ in range(settings.rounds):
                for workload in paired:
                    ours = _measure(settings, port, headers, workload, memory, cpu)
                    floor = _measure(settings, floor_port, headers, workload, None, floor_cpu)
                    rounds[workload.name].append((ours, floor))
            for workload in [*writes, history]:
                if workload.calls:
                    http_floors[workload.name] = _measure(settings, floor_port, headers,
                                                          workload, None, floor_cpu)
        for name, pairs in rounds.items():
            measured[name], http_floors[name] = _median_round(pairs)
            measured[name]["answer"] = answers[name]
        measured = {name: measured[name] for name in [*(w.name for w in workloads), HISTORY]}
        server_memory = {"idle_mb": round(idle_mb, 1),
                         "peak_mb": round(memory.peak_bytes / 1e6, 1),
                         "peak_pss_mb": round(memory.peak_pss_bytes / 1e6, 1)}
    return measured, http_floors, server_memory


def _measure(settings: BenchSettings, port: int, headers: dict[str, str], workload: Workload,
             memory: MemorySampler | None, cpu: CpuMeter, *,
             record: dict[str, bytes] | None = None) -> dict[str, Any]:
    """Warm up, then measure one workload; the memory window and the CPU times are the
    workload's own (not the warm-up's)."""
    driver = _driver(settings, port, headers, workload)
    driver.warm(workload.warm_calls or workload.calls, workload.warm_requests)
    if memory is not None:
        memory.mark()
    before = cpu.snapshot()
    result = driver.run(workload.calls, workload.name, record=record)
    after = cpu.snapshot()
    return {**_figures(result, memory.window_peak_mb() if memory is not None else 0.0),
            report.CPU: cpu.per_request(before, after, result.requests)}


def _median_round(pairs: list[tuple[dict[str, Any], dict[str, Any]]]
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (registry, floor) round whose p50 ratio is the median, with every round listed."""
    def ratio(pair: tuple[dict[str, Any], dict[str, Any]]) -> float:
        ours, floor = pair
        return ours["p50_ms"] / floor["p50_ms"] if floor["p50_ms"] else float("inf")

    ordered = sorted(pairs, key=ratio)
    ours, floor = ordered[(len(ordered) - 1) // 2]
    listed = [{"p50_ms": o["p50_ms"], "floor_p50_ms": f["p50_ms"],
               "requests_per_s": o["requests_per_s"], "p50_ratio": round(ratio((o, f)), 3)}
              for o, f in pairs]
    return {**ours, "rounds": listed}, floor


def _figures(measurement: Measurement, peak_rss_mb: float) -> dict[str, Any]:
    return {**measurement.summary(), "peak_rss_mb": round(peak_rss_mb, 1)}


@contextmanager
def _floor_server(settings: BenchSettings, work_dir: Path,
                  responses: dict[str, bytes]) -> Iterator[ServerProcess]:
    """The HTTP floor server, answering the recorded bytes, up."""
    path = work_dir / "floor-responses.pickle"
    with path.open("wb") as handle:
        pickle.dump(responses, handle, protocol=pickle.HIGHEST_PROTOCOL)
    port = free_port()
    command = floor_command(port=port, workers=settings.workers, threads=settings.threads,
                            responses=path)
    env = {"PYTHONPATH": os.pathsep.join([str(SOURCE_ROOT), os.environ.get("PYTHONPATH", "")])}
    with ServerProcess(command, port=port, env=env, log_path=work_dir / "floor.log",
                       ready_path="/", sample_memory=False) as server:
        yield server


def _measure_floors(settings: BenchSettings, engine: Engine, node: Node,
                    workloads: list[Workload]) -> dict[str, dict[str, dict[str, Any]]]:
    """SQL floors, then write floors, on the registry's own database (the server has stopped).

    The write floor inserts into the loaded store, as the registry did: at 1M resources its
    B-trees are as deep as the registry's. Its resources get ids of their own (``floor-``),
    so they never collide with what the registry wrote for the same workload.
    """
    floors: dict[str, dict[str, dict[str, Any]]] = {}
    for workload in workloads:
        if "sql" in workload.floors:
            floors.setdefault(workload.name, {})["sql"] = sql_floor(
                engine, workload.sql, settings.floor_repeats, progress=settings.progress,
                desc=f"{workload.name} sql floor").summary()
    stamp = time.time_ns() // 1000
    for workload in workloads:
        if "write" in workload.floors:
            rows = [rows_for(relabelled(batch, f"floor-{workload.name}-"), node, stamp)
                    for batch in workload.write_batches]
            floors.setdefault(workload.name, {})["write"] = write_floor(
                engine, rows, progress=settings.progress,
                desc=f"{workload.name} write floor").summary()
    return floors
