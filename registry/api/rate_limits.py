"""Rate limits at the edge, counted with the ``limits`` library.

Two budgets are enforced before a request reaches a view:

- ``REGISTRY_RATE_LIMIT`` per caller: keyed by the bearer token's hash (never the token), or
  by the client address when no token is sent;
- ``AUTH_FAILURE_LIMIT`` per client address, deducted only by 401 answers, so presenting a
  different made-up token each time does not escape the limit.

Over either, the request is refused with a 429 OperationOutcome and ``Retry-After``. Counts
live in ``REGISTRY_RATE_LIMIT_STORAGE``: ``memory://`` (per process, ``ProcessCounters``) or
any storage ``limits`` knows, e.g. ``redis://``. The hook costs a few microseconds: one counter
increment per limit, no per-request look-up of which limits apply.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from flask import Flask, Response, g, request
from limits import RateLimitItem, parse, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from registry.api.auth import bearer_token
from registry.config import Settings
from registry.errors import TooManyRequests
from registry.services.tokens import hash_token

AUTH_FAILURE_LIMIT = "30 per minute"
FHIR_PREFIX = "/fhir"
CHARGED = "registry.rate_charge"  # environ: the Charge of a request already counted


@dataclass(frozen=True)
class Breach:
    """Which budget a refused request exceeded, and when that budget's window resets."""

    key: str
    reset_at: float


@dataclass(frozen=True)
class Charge:
    """One request counted: the ``X-RateLimit-*`` headers of the budget closest to running
    out, or the budget (limit and key) that refuses it."""

    headers: list[tuple[str, str]]
    breach: tuple[RateLimitItem, str] | None


@dataclass
class RateLimits:
    """The node's budgets and their counters; ``enabled`` turns enforcement off and on."""

    per_caller: list[RateLimitItem]
    auth_failures: RateLimitItem
    limiter: FixedWindowRateLimiter
    enabled: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        uri = settings.rate_limit_storage
        storage = ProcessCounters() if uri == "memory://" else storage_from_string(uri)
        per_caller = parse_many(settings.rate_limit) if settings.rate_limit else []
        return cls(per_caller, parse(AUTH_FAILURE_LIMIT), FixedWindowRateLimiter(storage),
                   enabled=bool(settings.rate_limit))

    def before_request(self) -> None:
        """Count this request against the caller's budget; refuse it when one is spent.

        A request the layer of plain reads (``registry.api.plain_reads``) has already charged
        and handed on carries its ``Charge`` in the environ; it is not charged twice.
        """
        if not self.enabled:
            return
        charge = request.environ.get(CHARGED)
        if charge is None:
            charge = self.charge(rate_key(), address_key(request.remote_addr),
                                 fhir=request.path.startswith(FHIR_PREFIX))
        if charge.breach is not None:
            self._refuse(*charge.breach)
        if charge.headers:
            g.rate_limit_headers = charge.headers

    def charge(self, key: str, address: str, *, fhir: bool) -> Charge:
        """Spend one request of ``key``'s budgets (a FHIR request first needs its address's
        failed-authentication budget not to be spent), or say which budget refuses it."""
        if fhir and not self.limiter.test(self.auth_failures, address):
            return Charge([], (self.auth_failures, address))
        closest: tuple[int, RateLimitItem, str] | None = None
        for item in self.per_caller:
            remaining, counter = self._spend(item, key)
            if remaining < 0:
                return Charge([], (item, key))
            if closest is None or remaining < closest[0]:
                closest = (remaining, item, counter)
        if closest is None:
            return Charge([], None)
        remaining, item, counter = closest
        reset_at = self.limiter.storage.get_expiry(counter)
        return Charge([("X-RateLimit-Limit", str(item.amount)),
                       ("X-RateLimit-Remaining", str(remaining)),
                       ("X-RateLimit-Reset", str(math.ceil(reset_at)))], None)

    def after_request(self, response: Response) -> Response:
        """A failed authentication spends the address's failure budget; every answer tells
        the caller its budget (``X-RateLimit-*``, from the limit closest to running out)."""
        if not self.enabled:
            return response
        if response.status_code == 401 and request.path.startswith(FHIR_PREFIX):
            self.limiter.hit(self.auth_failures, address_key(request.remote_addr))
        headers = g.get("rate_limit_headers")
        if headers is not None:
            response.headers.extend(headers)
        return response

    def _spend(self, item: RateLimitItem, key: str) -> tuple[int, str]:
        """One hit on ``item``'s fixed window for ``key``: what is left of the budget after
        it (negative once spent) and the window's counter key.

        ``FixedWindowRateLimiter.hit`` does the same increment but answers only yes or no;
        the count it discards is what the ``X-RateLimit-Remaining`` header needs, which would
        otherwise cost a second look-up of the window in every request.
        """
        counter = item.key_for(key)
        count = self.limiter.storage.incr(counter, item.get_expiry(), amount=1)
        return item.amount - count, counter

    def _refuse(self, item: RateLimitItem, key: str) -> None:
        reset_at = self.limiter.get_window_stats(item, key).reset_time
        g.rate_limit_breach = Breach(f"{key}/{item}", reset_at)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise TooManyRequests(f"Rate limit exceeded ({item}); retry after {retry_after} s",
                              headers={"Retry-After": str(retry_after)})


class ProcessCounters(Storage):
    """Fixed-window counters in this process's memory, expired when next touched.

    ``limits``' own memory storage starts an expiry timer thread whenever its last one has
    finished (10 ms after it started), which at a few hundred requests per second means a new
    thread for nearly every request; these counters need no thread.
    """

    STORAGE_SCHEME = None
    SWEEP_ABOVE = 10_000  # keys; expired ones are dropped once there are more

    def __init__(self) -> None:
        super().__init__()
        self._counts: dict[str, tuple[float, int]] = {}  # key -> (expires at, count)
        self._lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            expires, count = self._counts.get(key, (0.0, 0))
            if expires <= now:
                if len(self._counts) > self.SWEEP_ABOVE:
                    self._sweep(now)
                expires, count = now + expiry, 0
            self._counts[key] = (expires, count + amount)
            return count + amount

    def get(self, key: str) -> int:
        expires, count = self._counts.get(key, (0.0, 0))
        return count if expires > time.time() else 0

    def get_expiry(self, key: str) -> float:
        expires, _ = self._counts.get(key, (0.0, 0))
        return expires if expires > time.time() else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            dropped = len(self._counts)
            self._counts.clear()
        return dropped

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)

    def _sweep(self, now: float) -> None:
        for key in [k for k, (expires, _) in self._counts.items() if expires <= now]:
            del self._counts[key]


def init_app(app: Flask, settings: Settings) -> RateLimits:
    limits = RateLimits.from_settings(settings)
    app.before_request(limits.before_request)
    app.after_request(limits.after_request)
    app.extensions["registry.limiter"] = limits
    return limits


def rate_key() -> str:
    """The token's hash when one is presented (never the token itself), else the address."""
    token = bearer_token(request.headers.get("Authorization", ""))
    return address_key(request.remote_addr) if token is None else token_key(hash_token(token))


def token_key(token_hash: str) -> str:
    return "token:" + token_hash


def address_key(address: str | None) -> str:
    return "address:" + (address or "unknown")
