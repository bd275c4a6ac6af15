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
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("This request needs an Authorization: Bearer token",
                                   headers=CHALLENGE)
        g.caller = _caller_for(token.strip(), request.remote_addr)
    except NotAuthenticated as exc:
        audit_trail().authentication_failed(request.remote_addr, str(exc))
        flush_audit()
        raise


def _caller_for(token: str, address: str | None) -> Caller:
    """The token's caller, calling from ``address``; cached with the address of the request
    that looked it up, which is nearly always the next one's too."""
    key = hash_token(token)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
    if hit and hit[0] > now:
        cached = hit[1]
        return cached if cached.address == address else replace(cached, address=address)
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
