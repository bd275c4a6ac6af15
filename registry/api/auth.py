"""Authentication: every /fhir request but ``metadata`` carries a valid bearer token.

A short-lived in-process cache keeps token look-ups off the hot path; a revoked token stops
working within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from flask import g, request

from registry.db import audit_trail, flush_audit, unit_of_work
from registry.errors import NotAuthenticated
from registry.services.context import Caller
from registry.services.tokens import authenticate, hash_token

PUBLIC_ENDPOINTS = frozenset({"fhir.metadata"})
CACHE_SECONDS = 10.0
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="registry"'}

_cache: dict[str, tuple[float, Caller]] = {}
_lock = threading.Lock()


def authenticate_request() -> None:
    """Resolve ``g.caller`` for the FHIR blueprint; 401 OperationOutcome when that fails.

    Every failure is audited (from where, and why — never the token presented).
    """
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    token = bearer_token(request.headers.get("Authorization", ""))
    try:
        if token is None:
            raise NotAuthenticated("This request needs an Authorization: Bearer token",
                                   headers=CHALLENGE)
        g.caller = _caller_for(token, request.remote_addr)
    except NotAuthenticated as exc:
        audit_trail().authentication_failed(request.remote_addr, str(exc))
        flush_audit()
        raise


def bearer_token(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if token and scheme.lower() == "bearer" else None


def cached_caller(token_hash: str, address: str | None) -> Caller | None:
    """The caller of a token verified less than ``CACHE_SECONDS`` ago, calling from
    ``address``; None when it must be looked up (and any failure audited) again."""
    with _lock:
        hit = _cache.get(token_hash)
    if hit is None or hit[0] <= time.monotonic():
        return None
    cached = hit[1]
    # Cached with the address of the request that looked it up, nearly always the next one's.
    return cached if cached.address == address else replace(cached, address=address)


def _caller_for(token: str, address: str | None) -> Caller:
    """The token's caller, calling from ``address``: from the cache, else looked up."""
    key = hash_token(token)
    cached = cached_caller(key, address)
    if cached is not None:
        return cached
    now = time.monotonic()
    try:
        with unit_of_work(write=False) as conn:
            found = replace(authenticate(conn, token), address=address)
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
