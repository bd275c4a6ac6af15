"""A gthread worker that takes a new connection only while no sibling holds fewer.

gunicorn's workers share one listening socket and whichever wakes first accepts, and the worker
that has just accepted is the likeliest to win again. With keep-alive every connection stays on
the worker that took it, so a few long-lived clients (a federating peer, a reverse proxy's
pool of upstream connections, the benchmark's four threads) often all land on one worker: one
process, one interpreter lock, one core, while the others idle. Measured with two workers,
four connections opened one after another went all to one worker in 14 of 30 trials and two
and two in 6; the same reads through them took 5.3–6.9 ms at p50, against 3.0–4.3 when split.

Each worker publishes how many connections it holds on a ``ConnectionBoard``, shared memory the
master creates before forking, and listens for new connections only while it holds no more
than the least loaded of its siblings. A sibling's counts change without waking this worker,
so a worker that has stopped listening looks again every ``RECHECK_SECONDS``: a new connection
waits that long at worst, and only when every worker judged another less loaded. A sibling
silent for ``STALE_SECONDS`` (stuck, stopping or gone) is left out of the comparison, so it can
never keep the others from accepting.
"""

from __future__ import annotations

import mmap
import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

RECHECK_SECONDS = 0.01
STALE_SECONDS = 2.0  # a worker's loop publishes at least once a second (its select time-out)
SPARE_SLOTS = 8  # room for workers added at run time (TTIN); any beyond take no part
ABSENT = -1


class ConnectionBoard:
    """Per worker slot: connections held and when that was last published (monotonic clock,
    which on Linux is the same for every process).

    One anonymous shared mapping, so the workers forked after it is made all see the same
    board; nothing is imported for it (``multiprocessing`` would add 0.6 MB to every process).
    """

    def __init__(self, slots: int) -> None:
        memory = mmap.mmap(-1, slots * 12)  # anonymous maps are shared with forked children
        self.published = memoryview(memory)[:slots * 8].cast("d")
        self.counts = memoryview(memory)[slots * 8:].cast("i")
        for slot in range(slots):
            self.counts[slot] = ABSENT

    def claim(self, taken: set[int | None]) -> int | None:
        """A slot no live worker holds, cleared; ``None`` when all are held."""
        for slot in range(len(self.counts)):
            if slot not in taken:
                self.release(slot)
                return slot
        return None

    def release(self, slot: int) -> None:
        self.counts[slot] = ABSENT

    def publish(self, slot: int, connections: int) -> None:
        self.published[slot] = time.monotonic()
        self.counts[slot] = connections

    def fewest_besides(self, slot: int) -> int | None:
        """The fewest connections a live sibling of ``slot`` holds; ``None`` without one."""
        fresh_since = time.monotonic() - STALE_SECONDS
        held = [count for other, count in enumerate(self.counts)
                if other != slot and count != ABSENT and self.published[other] >= fresh_since]
        return min(held, default=None)


class BalancedThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gthread's worker, listening only while it holds no more connections than any sibling.

    Relies on gthread's loop (gunicorn 25–27): each turn it calls ``notify()``, then listens
    while ``nr_conns < worker_connections``, then waits in ``wait_for_and_dispatch_events``.
    """

    slot: int | None = None  # set by the master before forking (``assign_slot``)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._connection_cap = 0
        super().__init__(*args, **kwargs)

    @property
    def board(self) -> ConnectionBoard | None:
        return getattr(self.app, "connection_board", None)

    @property  # type: ignore[override]
    def worker_connections(self) -> int:
        """The configured cap, lowered to what this worker holds while a sibling holds fewer."""
        board = self.board
        if board is None or self.slot is None:
            return self._connection_cap
        fewest = board.fewest_besides(self.slot)
        if fewest is None:
            return self._connection_cap
        return min(self._connection_cap, fewest + 1)

    @worker_connections.setter
    def worker_connections(self, cap: int) -> None:
        self._connection_cap = cap

    def notify(self) -> None:
        """The arbiter's heartbeat, and this worker's count for its siblings (none once it is
        stopping: it takes no new connections then, so it must not hold others back)."""
        self._publish()  # first: the heartbeat's system call may hand the GIL to a request
        super().notify()

    def accept(self, listener: Any) -> None:
        super().accept(listener)
        self._publish()  # at once, not at the loop's next turn: siblings decide meanwhile

    def _publish(self) -> None:
        board = self.board
        if board is not None and self.slot is not None:
            if self.alive:
                board.publish(self.slot, self.nr_conns)
            else:
                board.release(self.slot)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        if not self._accepting and self.alive:
            timeout = min(timeout, RECHECK_SECONDS)  # siblings' counts change silently
        super().wait_for_and_dispatch_events(timeout)


def assign_slot(server: Any, worker: Any) -> None:
    """``pre_fork`` (in the master): give the new worker a slot no live worker holds."""
    board = getattr(server.app, "connection_board", None)
    if board is not None and isinstance(worker, BalancedThreadWorker):
        worker.slot = board.claim({getattr(w, "slot", None) for w in server.WORKERS.values()})


def free_slot(server: Any, worker: Any) -> None:
    """``child_exit`` (in the master): a worker that has exited holds no connections."""
    board = getattr(server.app, "connection_board", None)
    slot = getattr(worker, "slot", None)
    if board is not None and slot is not None:
        board.release(slot)
