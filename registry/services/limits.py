"""Request budgets: how many requests a token (or an address without one) may make per window,
and how many failed sign-ins an address may make.

Budgets are written in the notation of the ``limits`` library (``600 per minute;20 per
second``) and counted in fixed windows in the database (``registry.storage.counters``), so they
hold across workers and restarts. A failed sign-in spends only the failure budget of its
address, and a valid token is never checked against it: a flood of bad tokens from behind a NAT
cannot lock out the people behind that NAT who hold good ones.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse, parse_many

from registry.storage import counters
from registry.storage.database import Database

AUTH_FAILURE_LIMIT = "30 per minute"


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


@dataclass(frozen=True)
class RateLimits:
    per_caller: tuple[RateLimitItem, ...]
    auth_failures: RateLimitItem

    @classmethod
    def from_text(cls, text: str) -> RateLimits:
        return cls(tuple(parse_many(text)) if text else (), parse(AUTH_FAILURE_LIMIT))

    @property
    def enabled(self) -> bool:
        return bool(self.per_caller)

    def charge(self, database: Database, key: str) -> Charge | None:
        """Spend one request of ``key``'s budgets; None when no budget is configured."""
        closest: Charge | None = None
        now = int(time.time())
        with database.autocommit() as conn:
            for item in self.per_caller:
                window_end = _window_end(item, now)
                hits = counters.hit(conn, f"{key}/{item}", window_end, now)
                charge = Charge(item.amount, item.amount - hits, window_end)
                if hits > item.amount:
                    return Charge(item.amount, 0, window_end, str(item),
                                  first_refusal=hits == item.amount + 1)
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
