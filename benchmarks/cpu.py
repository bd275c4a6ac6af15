"""CPU time per request, by who spent it: the server under test, the database, the client.

On a two-core machine that runs the server, PostgreSQL and the load generator together, the
p50 of several clients follows the CPU each request costs all of them, not only the server's.
A ratio to the HTTP floor is explained by these three figures measured in the same round: the
floor's server never waits for a database, and the client's share shows how much of a
request's cost is the harness's own (parsing the answer's head and body).

Times are user plus system seconds read from ``/proc`` (``psutil``) before and after the
measured requests (not the warm-up). The server is a gunicorn master and its workers; the
database is every PostgreSQL process on this machine (backends, WAL writer, checkpointer: all
of them take from the same cores); the client is this process (its driver threads, and the
memory sampler, about 1 µs a request). SQLite has no database processes: its work is the
server's; a PostgreSQL server on another host has none here either: not measured.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import psutil

DATABASE_PROCESS_NAMES = frozenset({"postgres", "postmaster"})
GROUPS = ("server", "database", "client")


@dataclass(frozen=True)
class CpuSnapshot:
    """Cumulative CPU seconds of each process of each group at one instant (pid -> seconds)."""

    server: dict[int, float]
    database: dict[int, float]
    client: dict[int, float]


class CpuMeter:
    """Reads the CPU time of a server's process tree, of the database and of this process."""

    def __init__(self, server_pid: int, *, database: bool,
                 excluded: frozenset[int] = frozenset()) -> None:
        self.server_pid = server_pid
        self.database = database
        self.excluded = excluded  # database processes of the harness itself (a sampler's)

    def snapshot(self) -> CpuSnapshot:
        return CpuSnapshot(server=_tree_seconds(self.server_pid),
                           database=_database_seconds(self.excluded) if self.database else {},
                           client=_seconds([psutil.Process()]))

    def per_request(self, before: CpuSnapshot, after: CpuSnapshot,
                    requests: int) -> dict[str, float | None]:
        """Microseconds of CPU per request for each group (``database`` None without one)."""
        if requests <= 0:
            return {group: None for group in GROUPS}
        spent = {group: _spent(getattr(before, group), getattr(after, group))
                 for group in GROUPS}
        figures: dict[str, float | None] = {
            group: round(seconds / requests * 1e6, 1) for group, seconds in spent.items()}
        if not self.database or not after.database:  # SQLite, or a server on another host
            figures["database"] = None
        return figures


def total_us(figures: dict[str, float | None]) -> float:
    """Every group's CPU per request together (a group not measured counts as none)."""
    return sum(value or 0.0 for value in figures.values())


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two readings. A process that started in between counts whole;
    one that exited in between is lost (short-lived, so little)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def _tree_seconds(pid: int) -> dict[int, float]:
    try:
        root = psutil.Process(pid)
        return _seconds([root, *root.children(recursive=True)])
    except psutil.NoSuchProcess:
        return {}


def _database_seconds(excluded: frozenset[int]) -> dict[int, float]:
    return _seconds(p for p in psutil.process_iter(["name"])
                    if p.info["name"] in DATABASE_PROCESS_NAMES and p.pid not in excluded)


def _seconds(processes: Iterable[psutil.Process]) -> dict[int, float]:
    found: dict[int, float] = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        found[process.pid] = times.user + times.system
    return found
