"""The one request pipeline: every request passes one before-step and one after-step.

Before the view: the request's audit trail and public base URL are set; on the dashboard the
caller is the one of the token whose hash its session cookie holds (or nobody); on the API
(``/fhir`` and ``/cases``) the caller is authenticated from its bearer token (401, or 429 once the
address has spent its failed sign-ins), its request budget is charged (429), and the format it
asks for is checked (406). Public endpoints (the CapabilityStatement, the docs) are charged to
the client's address. After the view: the budget headers and the protective headers are added,
and whatever the trail still holds (refusals at the edge: 401, 413, 429) is stored.

Views read the request's state through ``caller()``, ``trail()``, ``base_url()`` and open their
transaction with ``unit(write=...)``, which builds the one service every view calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response, current_app, g, request, session

from registry.config import Settings
from registry.errors import (
    HeadersTooLarge,
    NotAcceptable,
    NotAuthenticated,
    TooManyRequests,
    UriTooLong,
)
from registry.http import auth, headers
from registry.services.audit import AuditTrail
from registry.services.caller import Caller
from registry.services.fhir import FhirService
from registry.services.limits import Charge, RateLimits
from registry.services.node import Node
from registry.services.unit import flush_trail, unit_of_work
from registry.storage.database import Database

API_BLUEPRINTS = frozenset({"fhir", "cases", "evaluations", "outcomes", "programs"})
WEB_BLUEPRINT = "web"  # the dashboard: its caller comes from the session cookie
FEED_BLUEPRINTS = frozenset({"calendar"})  # a token when one is sent, else a feed key
PUBLIC_ENDPOINTS = frozenset({"fhir.metadata"})
UNFORMATTED_ENDPOINTS = frozenset({
    "fhir.bulk_export_file",  # NDJSON files
    "evaluations.evaluation_report",  # HTML or PDF
    "outcomes.aggregate_export",  # CSV, ADX XML, DHIS2 JSON
    "calendar.feed",  # iCalendar feeds
    "programs.certificate",  # PDF certificates
})
JSON_FORMATS = ("json", "application/fhir+json", "application/json", "application/json+fhir")
ACCEPTABLE = (*JSON_FORMATS[1:], "*/*", "application/*")


def init_app(app: Flask) -> None:
    settings: Settings = app.config["REGISTRY"]
    app.extensions["registry.limits"] = RateLimits.from_text(settings.rate_limit)
    app.before_request(before_request)
    app.after_request(after_request)


# ---- the request's state ---------------------------------------------------------------


def database() -> Database:
    return current_app.extensions["registry.database"]  # type: ignore[no-any-return]


def node() -> Node:
    return current_app.extensions["registry.node"]  # type: ignore[no-any-return]


def caller() -> Caller:
    return g.caller  # type: ignore[no-any-return]


def signed_in() -> Caller | None:
    """The dashboard's caller, or None before sign-in."""
    found: Caller | None = g.get("caller")
    return found


def trail() -> AuditTrail:
    return g.trail  # type: ignore[no-any-return]


def base_url() -> str:
    """The public FHIR base: the configured one, else this request's own root + ``/fhir``
    (the scheme and host a trusted proxy forwarded, when one is configured). Worked out once
    per request: werkzeug builds ``url_root`` anew on every access."""
    known: str | None = g.get("base_url")
    if known is None:
        known = g.base_url = node().base_url or request.url_root.rstrip("/") + "/fhir"
    return known


@contextmanager
def unit(*, write: bool) -> Iterator[FhirService]:
    """The request's unit of work, and the service built from it."""
    with unit_of_work(database(), node(), caller(), trail(), base_url(), write=write) as service:
        yield service


# ---- the steps -------------------------------------------------------------------------


MAX_REQUEST_LINE = 8_192  # bytes of path and query string
MAX_HEADER_BYTES = 16_384  # one header's value


def before_request() -> None:
    g.trail = AuditTrail()
    g.caller = None
    _check_request_size()
    if not _is_api():
        _charge(_address_key())
        if request.blueprint == WEB_BLUEPRINT:
            g.caller = _session_caller()
        return
    g.caller = _authenticate()
    _charge(f"token:{g.caller.token_id}")
    _check_format()


def after_request(response: Response) -> Response:
    charge: Charge | None = g.get("charge")
    if charge is not None and charge.refused is None:
        response.headers.extend(charge.headers())
    headers.protect(response, request.path)
    if response.status_code == 413:
        trail().refused(g.get("caller"), "operation",
                        f"The request body is larger than this server accepts "
                        f"(from {request.remote_addr})")
    if g.get("trail") is not None and trail().pending:
        flush_trail(database(), node(), trail(), base_url())
    return response


def _check_request_size() -> None:
    """414 and 431 as OperationOutcomes (the server in front of the app answers neither)."""
    target = request.environ.get("RAW_URI") or request.full_path
    if len(target) > MAX_REQUEST_LINE:
        raise UriTooLong(f"The request target is longer than {MAX_REQUEST_LINE} bytes")
    if any(len(value) > MAX_HEADER_BYTES for _, value in request.headers.items()):
        raise HeadersTooLarge(f"A request header is longer than {MAX_HEADER_BYTES} bytes")


def _is_api() -> bool:
    """A request that needs a token: the API's, but for the CapabilityStatement and for
    OPTIONS (a browser's CORS preflight never carries credentials); a calendar feed only
    when it sends one (a calendar client sends the feed's key instead)."""
    if request.blueprint in FEED_BLUEPRINTS:
        return "Authorization" in request.headers
    return (request.blueprint in API_BLUEPRINTS and request.endpoint not in PUBLIC_ENDPOINTS
            and request.method != "OPTIONS")


def _authenticate() -> Caller:
    """The bearer token's caller; a failure is audited and spends the address's failed
    sign-ins, and once those are spent the answer is 429 rather than 401."""
    try:
        return auth.caller_of(database(), request.headers.get("Authorization", ""),
                              request.remote_addr)
    except NotAuthenticated as exc:
        sign_in_failed(str(exc))
        raise


def sign_in_failed(reason: str) -> None:
    """Audit a failed sign-in (API or dashboard) and spend one of the address's failed
    sign-ins; 429 once they are spent."""
    trail().authentication_failed(request.remote_addr, reason)
    failures = limits().failure(database(), _address_key())
    if failures.refused is not None:
        _refuse(failures, "Too many failed sign-ins from this address")


def _session_caller() -> Caller | None:
    """The caller of the token whose hash the dashboard session holds; a session whose token
    was revoked or expired is ended."""
    key = session.get("token")
    if not isinstance(key, str):
        return None
    try:
        return auth.caller_of_hash(database(), key, request.remote_addr)
    except NotAuthenticated:
        session.clear()
        return None


def _charge(key: str) -> None:
    if not limits().enabled:
        return
    charge = limits().charge(database(), key)
    g.charge = charge
    if charge is not None and charge.refused is not None:
        _refuse(charge, f"Rate limit exceeded ({charge.refused})")


def _refuse(charge: Charge, reason: str) -> None:
    """429; audited once per client and window (the first request over the budget)."""
    if charge.first_refusal:
        trail().refused(g.get("caller"), "operation", f"{reason} (from {request.remote_addr})")
    raise TooManyRequests(f"{reason}; retry after {charge.retry_after} s",
                          headers={"Retry-After": str(charge.retry_after)})


def _check_format() -> None:
    """406 for anything but JSON, from ``_format`` or ``Accept``."""
    if request.endpoint in UNFORMATTED_ENDPOINTS:
        return
    fmt = request.args.get("_format")
    if fmt is not None:
        if fmt.split(";")[0].strip().lower() not in JSON_FORMATS:
            raise NotAcceptable(f"Only JSON is supported; _format={fmt} cannot be produced")
        return
    accept = request.headers.get("Accept")
    if accept and not any(kind.split(";")[0].strip().lower() in ACCEPTABLE
                          for kind in accept.split(",")):
        raise NotAcceptable(f"Only application/fhir+json is supported; Accept: {accept}")


def limits() -> RateLimits:
    return current_app.extensions["registry.limits"]  # type: ignore[no-any-return]


def _address_key() -> str:
    return f"address:{request.remote_addr or 'unknown'}"
