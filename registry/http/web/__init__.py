"""The dashboard: the registry's web face, served by the registry itself.

A person signs in by pasting a registry token once; the session cookie then holds only the
token's hash (signed with ``REGISTRY_SESSION_KEY``), and every page reads through the same
services and policy as the API with that token's caller (``pipeline`` resolves it). Texts are
in English, Spanish, Portuguese and French (Flask-Babel; ``make translations``), charts are SVG
drawn on the server, and every script and style is a local file: nothing is fetched from
elsewhere, so it works offline.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import Flask, Request, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel

from registry.config import Settings
from registry.http.web import views
from registry.services.node import Node

LANGUAGES = ("en", "es", "pt", "fr")
SESSION_COOKIE = "registry_session"


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, marked ``Secure`` whenever the request came over HTTPS
    (directly or through a trusted proxy), so it still works on plain-HTTP localhost."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request.is_secure)


def init_app(app: Flask) -> None:
    settings: Settings = app.config["REGISTRY"]
    node: Node = app.extensions["registry.node"]
    app.config.update(
        SECRET_KEY=session_key(settings, node),
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        WTF_CSRF_TIME_LIMIT=settings.session_hours * 3600,
        BABEL_DEFAULT_LOCALE="en",
        BABEL_TRANSLATION_DIRECTORIES=str(views.HERE / "translations"),
    )
    app.session_interface = SessionInterface()
    Babel(app, locale_selector=select_locale)
    app.register_blueprint(views.blp)


def session_key(settings: Settings, node: Node) -> str:
    """The configured key, else one derived from the node secret (stable across restarts
    and shared by every worker, as the secret is)."""
    if settings.session_key:
        return settings.session_key
    return hmac.new(node.secret.value(), b"dashboard-session", hashlib.sha256).hexdigest()


def select_locale() -> str | None:
    """``?lang=`` (kept in the session), else the choice made before, else the browser's."""
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
        return chosen
    kept = session.get("lang")
    return kept if kept in LANGUAGES else browser_language(request)


def browser_language(req: Request) -> str | None:
    return req.accept_languages.best_match(LANGUAGES)
