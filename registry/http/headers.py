"""What every response carries, and what the edge trusts about where a request came from.

- **Headers** on every response: ``nosniff``, no framing, no referrer, a CSP that allows
  nothing for API responses and only same-origin scripts and styles for HTML pages (their
  scripts live in local files, so no inline script is allowed anywhere), and
  ``Cache-Control: no-store`` for FHIR responses, which may hold confidential data.
- **CORS** is off unless ``REGISTRY_CORS_ORIGINS`` lists origins (flask-cors does it).
- **Client address** (audit, per-address limits) is the socket's, or the one forwarded by
  ``REGISTRY_TRUSTED_PROXIES`` reverse proxies (werkzeug's ProxyFix, which also gives the
  scheme and host a request-derived base URL uses); never a header the client could forge
  when no proxy is configured.
"""

from __future__ import annotations

from flask import Flask, Response
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from registry.config import Settings

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HTML_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")
ALWAYS = [("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
          ("Referrer-Policy", "no-referrer"), ("Cross-Origin-Resource-Policy", "same-origin")]
EXPOSED_HEADERS = ["ETag", "Location", "Last-Modified", "Retry-After", "Content-Location",
                   "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]
ALLOWED_HEADERS = ["Authorization", "Content-Type", "If-Match", "If-None-Exist",
                   "If-None-Match", "If-Modified-Since", "Prefer", "Accept"]


def init_app(app: Flask) -> None:
    settings: Settings = app.config["REGISTRY"]
    if settings.cors_origin_list:
        CORS(app, resources={r"/fhir/*": {"origins": settings.cors_origin_list}},
             expose_headers=EXPOSED_HEADERS, allow_headers=ALLOWED_HEADERS,
             supports_credentials=False, max_age=600)


def trust_proxies(app: Flask) -> None:
    """Take the client address, scheme and host from ``REGISTRY_TRUSTED_PROXIES`` proxies'
    headers; installed last, outside every other WSGI layer."""
    hops = app.config["REGISTRY"].trusted_proxies
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops,  # type: ignore[method-assign]
                                x_host=hops, x_port=hops)


def protect(response: Response, path: str) -> None:
    """Add each protective header the view did not set itself."""
    present = {name.lower() for name, _ in response.headers}
    html = (response.mimetype or "").startswith("text/html")
    wanted = [*ALWAYS, ("Content-Security-Policy", HTML_CSP if html else API_CSP)]
    if path.startswith("/fhir"):
        wanted.append(("Cache-Control", "no-store"))
    response.headers.extend([(name, value) for name, value in wanted
                             if name.lower() not in present])
