"""HTTP-level protections: security headers, CORS, rate limits, time-outs, log redaction.

Authorization is *not* here: it is decided in the service layer (``registry.services.policy``).
This module guards the edge:

- **Headers** on every response: ``nosniff``, no framing, no referrer, a CSP that allows
  nothing for API responses and only same-origin scripts and styles for the HTML docs page
  (whose script lives in a local file, so no inline script is allowed anywhere), and
  ``Cache-Control: no-store`` for FHIR responses, which may hold confidential data.
- **CORS** is off unless ``REGISTRY_CORS_ORIGINS`` lists origins.
- **Rate limits** (``registry.api.rate_limits``): per token, or per address without one, and
  failed authentications per address; 429 answers an OperationOutcome with ``Retry-After``.
- **Refusals at the edge** (413 too large, 429 too many) are audited; a 429 once per client
  and window, so a flood cannot turn into a flood of AuditEvents.
- **Time-outs**: a statement cancelled by the database time-out answers 503 ``timeout``.
- **Client address** (audit, per-address limits) is the socket's, or the one forwarded by
  ``REGISTRY_TRUSTED_PROXIES`` reverse proxies (werkzeug's ProxyFix); never a header the
  client could forge when no proxy is configured.
- **Logs** never show a bearer token: a log-record factory redacts them, whatever logger
  the text goes to.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, g, request, send_from_directory
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from registry.api import rate_limits
from registry.api.base import outcome_response
from registry.config import Settings
from registry.db import audit_trail, flush_audit
from registry.errors import error
from registry.storage.database import is_timeout

log = logging.getLogger(__name__)

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HTML_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'")
STATIC = "static"
ALWAYS_HEADERS = [("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                  ("Referrer-Policy", "no-referrer"),
                  ("Cross-Origin-Resource-Policy", "same-origin")]
EXPOSED_HEADERS = ["ETag", "Location", "Last-Modified", "Retry-After", "Content-Location",
                   "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]
ALLOWED_HEADERS = ["Authorization", "Content-Type", "If-Match", "If-None-Exist",
                   "If-None-Match", "If-Modified-Since", "Prefer", "Accept"]
_SECRETS = re.compile(r"(?i)(bearer\s+)[^\s'\"]+|tnr_[A-Za-z0-9_\-]{8,}")


def init_app(app: Flask) -> None:
    """The hooks and handlers; ``trust_proxies`` goes on last, outside every WSGI layer."""
    settings: Settings = app.config["REGISTRY"]
    app.after_request(security_headers)
    app.after_request(audit_edge_refusals)
    app.register_error_handler(sa.exc.OperationalError, handle_database_error)
    app.add_url_rule("/docs/init.js", "swagger_init", _swagger_init)
    if settings.cors_origin_list:
        CORS(app, resources={r"/fhir/*": {"origins": settings.cors_origin_list}},
             expose_headers=EXPOSED_HEADERS, allow_headers=ALLOWED_HEADERS,
             supports_credentials=False, max_age=600)
    rate_limits.init_app(app, settings)
    install_log_redaction()


def trust_proxies(app: Flask) -> None:
    """Take the client address from ``REGISTRY_TRUSTED_PROXIES`` proxies' headers, for every
    layer beneath (``registry.api.plain_reads`` as much as Flask)."""
    hops = app.config["REGISTRY"].trusted_proxies
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


# ---- headers --------------------------------------------------------------------------------


def security_headers(response: Response) -> Response:
    """Add each protective header the view did not set itself (one pass over the headers)."""
    present = {name.lower() for name, _ in response.headers}
    html = (response.mimetype or "").startswith("text/html")
    wanted = protective_headers(request.path, html=html)
    response.headers.extend([(name, value) for name, value in wanted
                             if name.lower() not in present])
    return response


def protective_headers(path: str, *, html: bool) -> list[tuple[str, str]]:
    """What every answer to ``path`` carries unless its view set the header itself."""
    wanted = [*ALWAYS_HEADERS, ("Content-Security-Policy", HTML_CSP if html else API_CSP)]
    if path.startswith("/fhir"):
        wanted.append(("Cache-Control", "no-store"))
    return wanted


def _swagger_init() -> Response:
    return send_from_directory(f"{_package_dir()}/{STATIC}", "swagger-init.js", max_age=3600)


def _package_dir() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent)


# ---- audit of refusals at the edge (the limits themselves: registry.api.rate_limits) -------


_audited_breaches: dict[str, float] = {}
_breach_lock = threading.Lock()


def audit_edge_refusals(response: Response) -> Response:
    """Audit 413 and 429 answers, which never reach a service."""
    if response.status_code == 413:
        _audit_refusal("The request body or Bundle is larger than this server accepts")
    elif response.status_code == 429 and _first_breach_in_window():
        _audit_refusal("Rate limit exceeded")
    return response


def _first_breach_in_window() -> bool:
    breach = g.get("rate_limit_breach") or rate_limits.Breach("", 0.0)
    key, reset_at = breach.key, breach.reset_at
    with _breach_lock:
        if _audited_breaches.get(key) == reset_at:
            return False
        if len(_audited_breaches) > 10_000:
            _audited_breaches.clear()
        _audited_breaches[key] = reset_at
        return True


def _audit_refusal(reason: str) -> None:
    caller = g.get("caller")
    if caller is None:
        audit_trail().refused(None, "operation", f"{reason} (from {request.remote_addr})")
    else:
        audit_trail().refused(caller, "operation", reason)
    if audit_trail().pending:
        flush_audit()


# ---- time-outs ------------------------------------------------------------------------------


def handle_database_error(exc: sa.exc.OperationalError) -> Response:
    if is_timeout(exc):
        log.warning("a request was cancelled by the statement time-out: %s %s",
                    request.method, request.path)
        return outcome_response(503, [error("timeout", "The request took longer than this "
                                            "server allows; narrow the search or page it")],
                                {"Retry-After": "1"})
    log.error("database error while handling %s %s", request.method, request.path,
              exc_info=exc)
    return outcome_response(500, [error("exception", "Internal server error")])


# ---- logs -----------------------------------------------------------------------------------


def redact(text: str) -> str:
    """Bearer tokens and registry tokens replaced by a marker."""
    return _SECRETS.sub(lambda m: (m.group(1) or "") + "[redacted]", text)


_installed = False


def install_log_redaction() -> None:
    """Redact secrets in every log record, whichever logger and handler it goes to."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string stays as logging would report it
            return record
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
