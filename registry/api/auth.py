"""Authentication: every /fhir request but ``metadata`` carries a valid bearer token.

A short-lived in-process cache keeps token look-ups off the hot path; a revoked token stops
working within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import threading
import time

from flask import g, request

from registry.db import unit_of_work
from registry.errors import NotAuthenticated
from registry.services.context import Caller
from registry.services.tokens import authenticate, hash_token

PUBLIC_ENDPOINTS = frozenset({"fhir.metadata"})
CACHE_SECONDS = 10.0
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="registry"'}

_cache: dict[str, tuple[float, Caller]] = {}
_lock = threading.Lock()


def authenticate_request() -> None:
    """Resolve ``g.caller`` for the FHIR blueprint; 401 OperationOutcome when that fails."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("This request needs an Authorization: Bearer token",
                               headers=CHALLENGE)
    g.caller = _caller_for(token.strip())


def _caller_for(token: str) -> Caller:
    key = hash_token(token)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
    if hit and hit[0] > now:
        return hit[1]
    try:
        with unit_of_work(write=False) as conn:
            found = authenticate(conn, token)
    except NotAuthenticated as exc:
        exc.headers.update(CHALLENGE)
        raise
    with _lock:
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[key] = (now + CACHE_SECONDS, found)
    return found


def forget_tokens() -> None:
    """Drop cached callers (after a revocation in the same process, and in tests)."""
    with _lock:
        _cache.clear()
