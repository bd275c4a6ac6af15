"""Who a request comes from: the caller of its bearer token.

A short-lived in-process cache keeps token look-ups off the hot path (a cache of the token
table, not state of its own: a revoked token stops working within ``CACHE_SECONDS``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from registry.errors import NotAuthenticated
from registry.services.caller import Caller
from registry.services.tokens import authenticate_hash, hash_token
from registry.storage.database import Database

CACHE_SECONDS = 10.0
CACHE_SIZE = 10_000
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="registry"'}

_cache: dict[str, tuple[float, Caller]] = {}
_lock = threading.Lock()


def bearer_token(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if token and scheme.lower() == "bearer" else None


def caller_of(database: Database, header: str, address: str | None) -> Caller:
    """The caller of the request's ``Authorization`` header, calling from ``address``;
    ``NotAuthenticated`` (with its challenge) when there is no valid token."""
    token = bearer_token(header)
    if token is None:
        raise NotAuthenticated("This request needs an Authorization: Bearer token",
                               headers=dict(CHALLENGE))
    return caller_of_hash(database, hash_token(token), address)


def caller_of_hash(database: Database, key: str, address: str | None) -> Caller:
    """The caller of the token whose hash is ``key`` (a bearer token's, or the one a
    dashboard session holds); ``NotAuthenticated`` when that token is not valid."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1] if hit[1].address == address else replace(hit[1], address=address)
    try:
        with database.autocommit() as conn:
            found = replace(authenticate_hash(conn, key), address=address)
    except NotAuthenticated as exc:
        exc.headers.update(CHALLENGE)
        raise
    with _lock:
        if len(_cache) > CACHE_SIZE:
            _cache.clear()
        _cache[key] = (now + CACHE_SECONDS, found)
    return found


def forget_tokens() -> None:
    """Drop cached callers (after a revocation in the same process, and in tests)."""
    with _lock:
        _cache.clear()
