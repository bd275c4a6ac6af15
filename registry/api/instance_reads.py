"""Reads by id answered beneath Flask, by the same rules, when nothing about them is unusual.

``GET /fhir/{type}/{id}`` (and ``.../_history/{vid}``) is the request a registry answers most:
a spoke's system or a peer fetching one directory entry. Through Flask it took about 310 µs of
CPU in-process, of which the database round trip is under 70: the rest was the framework's
per-request work (request and application contexts, URL matching, the ``Response`` object, six
hooks) and the registry's rules run through it. This WSGI layer, installed between the
client-address fix (``security.trust_proxies``) and Flask, answers such a read itself in about
140 µs by calling the same rules directly:

- the rate limits (``RateLimits.charge``), counted exactly once;
- the bearer token, only when it was verified less than ``auth.CACHE_SECONDS`` ago
  (``auth.cached_caller``);
- the ``Accept`` check (``http.accepts_json``);
- the read itself (``FhirService.read`` or ``vread``: type, authorization, storage);
- the headers: the version's ``ETag`` and ``Last-Modified`` (``http.version_headers``), the
  protective ones (``security.protective_headers``) and ``X-RateLimit-*``.

Everything else goes to Flask unchanged, which answers it as it always has: a query string,
another method, conditional headers, a token not in the cache (Flask looks it up, audits and
counts a failure), a refused ``Accept``, case-level types (whose reads are audited), a budget
that is spent, any error of the read (404, 410, 403, a database failure), and, when CORS is
configured, every request (flask-cors decides its headers). A request handed on after it was
charged carries its ``Charge`` in the environ, so Flask does not charge it again. The answer
is the one Flask would give, header for header (``tests/api/test_instance_reads.py``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from flask import Flask

from registry.api import rate_limits
from registry.api.auth import bearer_token, cached_caller
from registry.api.http import FHIR_JSON, accepts_json, version_headers
from registry.api.rate_limits import CHARGED, Charge, RateLimits
from registry.api.security import protective_headers
from registry.errors import RegistryError
from registry.services import policy
from registry.services.audit import AuditTrail
from registry.services.context import Caller, Node
from registry.services.fhir import FhirService
from registry.services.store import Stored
from registry.services.tokens import hash_token
from registry.storage.database import transaction

log = logging.getLogger(__name__)

# Only the URL map's ``fhir.read`` and ``fhir.vread`` rules match these paths: a type name starts
# with a capital, and an id's characters (FHIR's ``[A-Za-z0-9\-\.]{1,64}``) exclude
# ``_history``, ``_search`` and ``$operation`` segments (``tests/api/test_instance_reads.py``
# checks every rule).
_ID = r"[A-Za-z0-9\-.]{1,64}"
INSTANCE_PATH = re.compile(rf"/fhir/([A-Z][A-Za-z]{{0,63}})/({_ID})(?:/_history/({_ID}))?")
_HANDLED_ELSEWHERE = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")  # conditional reads
_OK = "200 OK"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Target(NamedTuple):
    """A read this layer may answer: what is read, and with which bearer token."""

    res_type: str
    res_id: str
    version: str | None  # a vread's version id
    token: str


class InstanceReads:
    """The WSGI layer: a plain read answered here, anything else passed to ``flask_app``."""

    def __init__(self, app: Flask, flask_app: WsgiApp) -> None:
        self.flask_app = flask_app
        self.engine = app.extensions["registry.engine"]
        self.node: Node = app.extensions["registry.node"]
        self.limits: RateLimits = app.extensions["registry.limiter"]
        self.protective = protective_headers("/fhir", html=False)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        target = self._plain_read(environ)
        if target is None:
            return self.flask_app(environ, start_response)
        token_hash = hash_token(target.token)
        address = environ.get("REMOTE_ADDR")
        caller = cached_caller(token_hash, address)
        if caller is None:  # Flask looks the token up, and audits and counts a failure
            return self.flask_app(environ, start_response)
        charge = None
        if self.limits.enabled:
            charge = self.limits.charge(rate_limits.token_key(token_hash),
                                        rate_limits.address_key(address), fhir=True)
            if charge.breach is not None:
                return self._to_flask(environ, start_response, charge)
        stored = self._read(target, caller)
        if stored is None:
            return self._to_flask(environ, start_response, charge)
        body = (stored.content or "").encode()
        start_response(_OK, self._headers(stored, body, charge.headers if charge else []))
        return [body]

    def _plain_read(self, environ: dict[str, Any]) -> Target | None:
        """The read this layer may answer, or None for one Flask must."""
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return None
        matched = INSTANCE_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if matched is None or any(name in environ for name in _HANDLED_ELSEWHERE):
            return None
        res_type, res_id, version = matched.groups()
        if not self.node.supports(res_type) or policy.is_case_level(res_type):
            return None
        accept = environ.get("HTTP_ACCEPT")
        if accept and not accepts_json(accept):
            return None
        token = bearer_token(environ.get("HTTP_AUTHORIZATION", ""))
        return None if token is None else Target(res_type, res_id, version, token)

    def _read(self, target: Target, caller: Caller) -> Stored | None:
        """The version read, or None where Flask must answer (an error, an audit)."""
        trail = AuditTrail()
        try:
            with transaction(self.engine, write=False) as conn:
                service = FhirService(conn, self.node, caller, trail)
                if target.version is None:
                    stored = service.read(target.res_type, target.res_id)
                else:
                    stored = service.vread(target.res_type, target.res_id, target.version)
        except RegistryError:
            return None  # Flask reads again and answers the OperationOutcome
        except Exception:
            log.exception("a read by id failed beneath Flask; Flask answers it")
            return None
        return None if trail.pending else stored

    def _to_flask(self, environ: dict[str, Any], start_response: Callable[..., Any],
                  charge: Charge | None) -> Iterable[bytes]:
        """Flask answers a request this layer has already charged (``charge``), not again."""
        if charge is not None:
            environ[CHARGED] = charge
        return self.flask_app(environ, start_response)

    def _headers(self, stored: Stored, body: bytes, charged: list[tuple[str, str]]
                 ) -> list[tuple[str, str]]:
        """In Flask's order: the view's, then the hooks' (run last-registered first)."""
        return [*version_headers(stored).items(), ("Content-Type", FHIR_JSON),
                ("Content-Length", str(len(body))), *charged, *self.protective]


def install(app: Flask) -> None:
    """Put the read layer in front of Flask, unless CORS is configured (its headers are
    flask-cors's to decide, on every answer)."""
    if app.config["REGISTRY"].cors_origin_list:
        return
    app.wsgi_app = InstanceReads(app, app.wsgi_app)  # type: ignore[method-assign]
