"""What the database's sessions wait on while a workload runs, and how many cores it used.

Throughput that does not grow with clients is either out of CPU (every core busy) or waiting
on something: a lock, a commit's WAL flush, the client. Two readings tell which:

- **Cores used**: the CPU seconds of the server, the database and the client together over the
  wall-clock seconds of the workload (``benchmarks.cpu``), next to the whole machine's busy
  cores in the same interval (other tenants included). Two cores all busy means CPU-bound.
- **Wait events** (PostgreSQL): ``pg_stat_activity`` sampled every ``interval`` seconds from a
  connection of its own, counting what each *active* session of the benchmark's database is
  doing: ``CPU`` when it waits on nothing, otherwise ``type:event`` (``IO:WALSync`` and
  ``LWLock:WALWrite`` are a commit waiting for its WAL flush; ``Lock:transactionid`` a row
  lock held by another writer; ``Lock:advisory`` the write stamp's). The shares are of all
  samples of active sessions. The sampler's own session is left out, and its backend's CPU is
  excluded from the database's (``excluded_pid``).
"""

from __future__ import annotations

import threading
from collections import Counter
from types import TracebackType

import psutil
import sqlalchemy as sa

SAMPLE = sa.text(
    "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' "
    "AND backend_type = 'client backend'")


class WaitSampler:
    """Samples the wait events of the database's active sessions in a thread, between
    ``start()`` and ``stop()``; ``shares()`` gives each event's share of the samples."""

    def __init__(self, url: str, *, interval: float = 0.01) -> None:
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.interval = interval
        self.conn = self.engine.connect()
        self.excluded_pid = int(self.conn.execute(sa.text("SELECT pg_backend_pid()"))
                                .scalar_one())
        self.counts: Counter[str] = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> WaitSampler:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.conn.close()
        self.engine.dispose()

    def start(self) -> None:
        self.counts, self.samples = Counter(), 0
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True, name="wait-sampler")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def shares(self, top: int = 6) -> dict[str, float]:
        """The ``top`` most sampled events, each as a fraction of all active samples."""
        total = sum(self.counts.values())
        return {event: round(n / total, 3) for event, n in self.counts.most_common(top)
                } if total else {}

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            events = self.conn.execute(SAMPLE).scalars().all()
            self.conn.rollback()  # a fresh snapshot of the statistics each time
            self.samples += 1
            self.counts.update(events)


class MachineCpu:
    """Busy cores of the whole machine between two readings (every tenant's work)."""

    def __init__(self) -> None:
        self.before = psutil.cpu_times()

    def busy_cores(self) -> float:
        after = psutil.cpu_times()
        idle = (after.idle - self.before.idle) + (after.iowait - self.before.iowait)
        total = _total(after) - _total(self.before)
        return round((1 - idle / total) * psutil.cpu_count(), 2) if total > 0 else 0.0


def _total(times: object) -> float:
    """All CPU time (guest time is already counted in user time on Linux)."""
    return sum(getattr(times, name, 0.0) for name in (
        "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"))
