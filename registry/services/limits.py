"""Request budgets: how many requests a token (or an address without one) may make per window,
and how many failed sign-ins an address may make.

Budgets are written in the notation of the ``limits`` library (``600 per minute;20 per
second``) and counted in fixed windows in the database (``registry.storage.counters``), so they
hold across workers and restarts.

A process does not send every hit to the database: it adds its hits up and sends them when
they reach a hundredth of the budget, when a second has passed, when a window begins, or when
its count says the budget is spent (a refusal is always confirmed by the database). A budget
is therefore exact for small budgets, and a large one can be overrun by at most about a
hundredth of it per process before every process sees the total; ``X-RateLimit-Remaining``
is what the answering process knows. That keeps a statement off most requests, the hot path.
A failed sign-in spends only the failure budget of its
address, and a valid token is never checked against it: a flood of bad tokens from behind a NAT
cannot lock out the people behind that NAT who hold good ones.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

from limits import RateLimitItem, parse, parse_many

from registry.storage import counters
from registry.storage.database import Database

AUTH_FAILURE_LIMIT = "30 per minute"
SEND_SHARE = 100  # hits held back at most: a hundredth of the budget
SEND_SECONDS = 1.0  # and never for longer than this
TALLY_KEYS = 10_000  # keys held in a process before windows that ended are dropped


@dataclass(frozen=True)
class Charge:
    """One request counted against a budget: what is left of the budget closest to running
    out, or which budget refuses it and for how long."""

    limit: int
    remaining: int
    reset_at: int  # seconds since the epoch
    refused: str | None = None  # the budget that refuses the request ("600 per 1 minute")
    first_refusal: bool = False  # the first request of its window to be refused

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_at - time.time()))

    def headers(self) -> list[tuple[str, str]]:
        return [("X-RateLimit-Limit", str(self.limit)),
                ("X-RateLimit-Remaining", str(max(0, self.remaining))),
                ("X-RateLimit-Reset", str(self.reset_at))]


@dataclass
class _Window:
    """One key's window as this process knows it: the database's count when last asked, and
    the hits counted here since."""

    end: int
    known: int = 0
    held: int = 0
    sent_at: float = 0.0


@dataclass
class _Tally:
    """The process's windows, shared by its threads."""

    windows: dict[str, _Window] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, key: str, item: RateLimitItem, end: int, clock: float) -> int | None:
        """Count one hit; the hits to send now, or None when they can wait."""
        with self.lock:
            window = self.windows.get(key)
            if window is None or window.end != end:
                if len(self.windows) >= TALLY_KEYS:
                    self._drop_ended(end)
                window = self.windows[key] = _Window(end)
            window.held += 1
            due = (window.sent_at == 0.0 or window.held >= max(1, item.amount // SEND_SHARE)
                   or clock - window.sent_at >= SEND_SECONDS
                   or window.known + window.held > item.amount)
            if not due:
                return None
            held, window.held = window.held, 0
            window.sent_at = clock
            return held

    def seen(self, key: str, end: int, total: int | None) -> int:
        """The window's hits as far as this process knows, after the database said ``total``."""
        with self.lock:
            window = self.windows.setdefault(key, _Window(end))
            if total is not None and window.end == end:
                window.known = max(window.known, total)
            return window.known + window.held

    def _drop_ended(self, now_end: int) -> None:
        ended = [k for k, w in self.windows.items() if w.end < now_end]
        for key in ended or list(self.windows):
            del self.windows[key]


@dataclass(frozen=True)
class RateLimits:
    per_caller: tuple[RateLimitItem, ...]
    auth_failures: RateLimitItem
    tally: _Tally = field(default_factory=_Tally, compare=False, repr=False)

    @classmethod
    def from_text(cls, text: str) -> RateLimits:
        return cls(tuple(parse_many(text)) if text else (), parse(AUTH_FAILURE_LIMIT))

    @property
    def enabled(self) -> bool:
        return bool(self.per_caller)

    def charge(self, database: Database, key: str) -> Charge | None:
        """Spend one request of ``key``'s budgets; None when no budget is configured."""
        now, clock = int(time.time()), time.monotonic()
        counted = [(item, f"{key}/{item}", _window_end(item, now)) for item in self.per_caller]
        due = [self.tally.count(name, item, end, clock) for item, name, end in counted]
        totals: list[int | None] = [None] * len(counted)
        if any(held is not None for held in due):
            with database.autocommit() as conn:
                totals = [None if held is None else counters.hit(conn, name, end, now, held)
                          for (_, name, end), held in zip(counted, due, strict=True)]
        closest: Charge | None = None
        for (item, name, end), held, total in zip(counted, due, totals, strict=True):
            hits = self.tally.seen(name, end, total)
            if hits > item.amount:
                # The first refusal is the request whose hits carried the total over.
                crossed = total is not None and held is not None and total - held <= item.amount
                return Charge(item.amount, 0, end, str(item), first_refusal=crossed)
            charge = Charge(item.amount, item.amount - hits, end)
            if closest is None or charge.remaining < closest.remaining:
                closest = charge
        return closest

    def failure(self, database: Database, address: str) -> Charge:
        """Spend one failed sign-in of ``address``; refused once the budget is spent."""
        item, now = self.auth_failures, int(time.time())
        window_end = _window_end(item, now)
        with database.autocommit() as conn:
            hits = counters.hit(conn, f"auth-failures:{address}/{item}", window_end, now)
        if hits > item.amount:
            return Charge(item.amount, 0, window_end, str(item),
                          first_refusal=hits == item.amount + 1)
        return Charge(item.amount, item.amount - hits, window_end)


def _window_end(item: RateLimitItem, now: int) -> int:
    """The end of the fixed window of ``item`` that holds ``now``."""
    size = item.get_expiry()
    return (now // size + 1) * size
