"""Plain reads answered beneath Flask, by the same rules, when nothing about them is unusual.

``GET /fhir/{type}/{id}``, ``.../_history/{vid}`` and ``GET /fhir/{type}?criteria`` are what a
registry answers most: a spoke's system or a peer fetching directory entries. Through Flask a
read took about 310 µs of CPU in-process, of which the database round trip is under 70: the
rest was the framework's per-request work (request and application contexts, URL matching, the
``Response`` object, six hooks) and the registry's rules run through it. This WSGI layer,
installed between the client-address fix (``security.trust_proxies``) and Flask, answers such
a request itself (a read in about 140 µs) by calling the same rules directly:

- the rate limits (``RateLimits.charge``), counted exactly once;
- the bearer token, only when it was verified less than ``auth.CACHE_SECONDS`` ago
  (``auth.cached_caller``);
- the ``Accept`` check (``http.accepts_json``);
- the service call and its answer (``FhirService.read``, ``vread`` or ``search`` with
  ``search_page``: type, authorization, storage), the query string parsed by Flask's own
  request class (``http.parameters``);
- the headers: a version's ``ETag`` and ``Last-Modified`` (``http.version_headers``), the
  protective ones (``security.protective_headers``) and ``X-RateLimit-*``.

Everything else goes to Flask unchanged, which answers it as it always has: another method or
path, a read with a query string, a search with ``_format`` or a ``Prefer`` header (strict
handling), conditional headers, a token not in the cache (Flask looks it up, audits and counts
a failure), a refused ``Accept``, case-level types and anything else whose reading is audited,
a budget that is spent, any error (400, 404, 410, 403, a database failure), and, when CORS is
configured, every request (flask-cors decides its headers). A request handed on after it was
charged carries its ``Charge`` in the environ, so Flask does not charge it again. The answer is
the one Flask would give, header for header (``tests/api/test_plain_reads.py``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from flask import Flask

from registry.api.auth import bearer_token, cached_caller
from registry.api.http import FHIR_JSON, accepts_json, parameters, version_headers
from registry.api.rate_limits import CHARGED, Charge, RateLimits, address_key, token_key
from registry.api.security import protective_headers
from registry.errors import RegistryError
from registry.services import policy
from registry.services.audit import AuditTrail
from registry.services.context import Caller, Node
from registry.services.fhir import FhirService, search_page
from registry.services.tokens import hash_token
from registry.storage.database import transaction

log = logging.getLogger(__name__)

# Only the URL map's ``fhir.search``, ``fhir.read`` and ``fhir.vread`` rules match these paths:
# a type name starts with a capital, and an id's characters (FHIR's ``[A-Za-z0-9\-\.]{1,64}``)
# exclude ``_history``, ``_search`` and ``$operation`` segments
# (``tests/api/test_plain_reads.py`` checks every rule).
_ID = r"[A-Za-z0-9\-.]{1,64}"
PLAIN_PATH = re.compile(rf"/fhir/([A-Z][A-Za-z]{{0,63}})(?:/({_ID})(?:/_history/({_ID}))?)?")
_HANDLED_ELSEWHERE = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE",  # conditional reads
                      "HTTP_PREFER")  # a search's handling=strict
_OK = "200 OK"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Target(NamedTuple):
    """A request this layer may answer: what is read or searched, with which bearer token."""

    res_type: str
    res_id: str | None  # None for a search
    version: str | None  # a vread's version id
    params: dict[str, list[str]]  # a search's criteria
    token: str


class Answer(NamedTuple):
    """What the layer sends back: the body, and a read's or vread's version headers."""

    body: bytes
    version_headers: dict[str, str]  # ETag and Last-Modified; none for a search


class PlainReads:
    """The WSGI layer: a plain read or search answered here, anything else passed to
    ``flask_app``."""

    def __init__(self, app: Flask, flask_app: WsgiApp) -> None:
        self.flask_app = flask_app
        self.request_class = app.request_class
        self.engine = app.extensions["registry.engine"]
        self.node: Node = app.extensions["registry.node"]
        self.limits: RateLimits = app.extensions["registry.limiter"]
        self.protective = protective_headers("/fhir", html=False)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        target = self._plain(environ)
        if target is None:
            return self.flask_app(environ, start_response)
        token_hash = hash_token(target.token)
        address = environ.get("REMOTE_ADDR")
        caller = cached_caller(token_hash, address)
        if caller is None:  # Flask looks the token up, and audits and counts a failure
            return self.flask_app(environ, start_response)
        charge = None
        if self.limits.enabled:
            charge = self.limits.charge(token_key(token_hash), address_key(address), fhir=True)
            if charge.breach is not None:
                return self._to_flask(environ, start_response, charge)
        answer = self._answer(target, caller)
        if answer is None:
            return self._to_flask(environ, start_response, charge)
        start_response(_OK, [*answer.version_headers.items(), ("Content-Type", FHIR_JSON),
                             ("Content-Length", str(len(answer.body))),
                             *(charge.headers if charge else ()), *self.protective])
        return [answer.body]  # the headers in Flask's order: the view's, then the hooks'

    def _plain(self, environ: dict[str, Any]) -> Target | None:
        """The request this layer may answer, or None for one Flask must."""
        if environ.get("REQUEST_METHOD") != "GET":
            return None
        matched = PLAIN_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if matched is None or any(name in environ for name in _HANDLED_ELSEWHERE):
            return None
        res_type, res_id, version = matched.groups()
        if not self.node.supports(res_type) or policy.is_case_level(res_type):
            return None
        accept = environ.get("HTTP_ACCEPT")
        if accept and not accepts_json(accept):
            return None
        params: dict[str, list[str]] = {}
        if environ.get("QUERY_STRING"):
            if res_id is not None:  # _summary, _elements, _format: Flask's view decides
                return None
            params = parameters(self.request_class(environ).args)
            if "_format" in params:
                return None
        token = bearer_token(environ.get("HTTP_AUTHORIZATION", ""))
        return None if token is None else Target(res_type, res_id, version, params, token)

    def _answer(self, target: Target, caller: Caller) -> Answer | None:
        """The answer's body and version headers, or None where Flask must answer (an error,
        or a read to be audited)."""
        trail = AuditTrail()
        try:
            with transaction(self.engine, write=False) as conn:
                service = FhirService(conn, self.node, caller, trail)
                if target.res_id is None:
                    query, result = service.search(target.res_type, target.params)
                    page = search_page(self.node, target.res_type, target.params, query, result)
                    answer = Answer(page.encode(), {})
                else:
                    stored = (service.read(target.res_type, target.res_id)
                              if target.version is None else
                              service.vread(target.res_type, target.res_id, target.version))
                    answer = Answer((stored.content or "").encode(), version_headers(stored))
        except RegistryError:
            return None  # Flask does it again and answers the OperationOutcome
        except Exception:
            log.exception("a plain read failed beneath Flask; Flask answers it")
            return None
        return None if trail.pending else answer

    def _to_flask(self, environ: dict[str, Any], start_response: Callable[..., Any],
                  charge: Charge | None) -> Iterable[bytes]:
        """Flask answers a request this layer has already charged (``charge``), not again."""
        if charge is not None:
            environ[CHARGED] = charge
        return self.flask_app(environ, start_response)


def install(app: Flask) -> None:
    """Put the layer in front of Flask, unless CORS is configured (its headers are
    flask-cors's to decide, on every answer)."""
    if app.config["REGISTRY"].cors_origin_list:
        return
    app.wsgi_app = PlainReads(app, app.wsgi_app)  # type: ignore[method-assign]
