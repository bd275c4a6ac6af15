"""Rate limits at the edge, counted with the ``limits`` library.

Two budgets are enforced before a request reaches a view:

- ``REGISTRY_RATE_LIMIT`` per caller: keyed by the bearer token's hash (never the token), or
  by the client address when no token is sent;
- ``AUTH_FAILURE_LIMIT`` per client address, deducted only by 401 answers, so presenting a
  different made-up token each time does not escape the limit.

Over either, the request is refused with a 429 OperationOutcome and ``Retry-After``. Counts
live in ``REGISTRY_RATE_LIMIT_STORAGE`` (``memory://``, per process, or e.g. ``redis://``).
The hook is a few microseconds: one counter increment per limit, no per-request look-up of
which limits apply.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from flask import Flask, Response, g, request
from limits import RateLimitItem, parse, parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from registry.config import Settings
from registry.errors import TooManyRequests
from registry.services.tokens import hash_token

AUTH_FAILURE_LIMIT = "30 per minute"
FHIR_PREFIX = "/fhir"


@dataclass(frozen=True)
class Breach:
    """Which budget a refused request exceeded, and when that budget's window resets."""

    key: str
    reset_at: float


@dataclass
class RateLimits:
    """The node's budgets and their counters; ``enabled`` turns enforcement off and on."""

    per_caller: list[RateLimitItem]
    auth_failures: RateLimitItem
    limiter: FixedWindowRateLimiter
    enabled: bool = True
    _failure_paths: tuple[str, ...] = field(default=(FHIR_PREFIX,))

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        storage = storage_from_string(settings.rate_limit_storage)
        per_caller = parse_many(settings.rate_limit) if settings.rate_limit else []
        return cls(per_caller, parse(AUTH_FAILURE_LIMIT), FixedWindowRateLimiter(storage),
                   enabled=bool(settings.rate_limit))

    def before_request(self) -> None:
        """Count this request against the caller's budget; refuse it when one is spent."""
        if not self.enabled:
            return
        if request.path.startswith(self._failure_paths):
            address = address_key()
            if not self.limiter.test(self.auth_failures, address):
                self._refuse(self.auth_failures, address)
        key = rate_key()
        for item in self.per_caller:
            if not self.limiter.hit(item, key):
                self._refuse(item, key)

    def after_request(self, response: Response) -> Response:
        """A failed authentication spends the address's failure budget."""
        if (self.enabled and response.status_code == 401
                and request.path.startswith(self._failure_paths)):
            self.limiter.hit(self.auth_failures, address_key())
        return response

    def _refuse(self, item: RateLimitItem, key: str) -> None:
        reset_at = self.limiter.get_window_stats(item, key).reset_time
        g.rate_limit_breach = Breach(f"{key}/{item}", reset_at)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise TooManyRequests(f"Rate limit exceeded ({item}); retry after {retry_after} s",
                              headers={"Retry-After": str(retry_after)})


def init_app(app: Flask, settings: Settings) -> RateLimits:
    limits = RateLimits.from_settings(settings)
    app.before_request(limits.before_request)
    app.after_request(limits.after_request)
    app.extensions["registry.limiter"] = limits
    return limits


def rate_key() -> str:
    """The token's hash when one is presented (never the token itself), else the address."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + hash_token(token.strip())
    return address_key()


def address_key() -> str:
    return "address:" + (request.remote_addr or "unknown")
