"""The landing page at ``/``, sign-in by token into a session holding only its hash, sign-out."""

from __future__ import annotations

import hashlib

from flask import Flask

from registry.http.auth import forget_tokens
from registry.services import tokens
from tests.conftest import make_token, system_service
from tests.web.conftest import HTML, csrf_of, sign_in, signed_in


def test_a_person_sees_what_the_node_is_with_links(app: Flask) -> None:
    page = app.test_client().get("/", headers=HTML)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    for link in ('href="/docs/"', 'href="/fhir/metadata"', 'href="/signin"'):
        assert link in text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_a_fhir_or_json_client_is_sent_to_the_capability_statement(app: Flask) -> None:
    for accept in ("application/fhir+json", "application/json", "*/*"):
        answer = app.test_client().get("/", headers={"Accept": accept})
        assert answer.status_code == 303, accept
        assert answer.headers["Location"] == "/fhir/metadata"


def test_sign_in_keeps_only_the_tokens_hash_in_an_http_only_cookie(app: Flask) -> None:
    token = make_token(app)
    client = app.test_client()
    answer = sign_in(client, token)
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    with app.test_request_context():
        held = app.session_interface.get_signing_serializer(app).loads(value)  # type: ignore[attr-defined]
    assert held["token"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in value and token not in str(held)
    assert "Network overview" in client.get("/", headers=HTML).get_data(as_text=True)


def test_the_cookie_is_secure_over_https(app: Flask) -> None:
    client = app.test_client()
    token = make_token(app)
    page = client.get("/signin", headers=HTML, base_url="https://registry.test")
    csrf = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    answer = client.post("/signin", data={"csrf_token": csrf.split('"')[0], "token": token},
                         headers=HTML, base_url="https://registry.test")
    assert answer.status_code == 303
    assert "Secure" in answer.headers["Set-Cookie"]


def test_a_wrong_token_is_refused_and_nothing_is_kept(app: Flask) -> None:
    client = app.test_client()
    answer = sign_in(client, "tnr_not-a-token")
    assert answer.status_code == 401
    assert "not valid" in answer.get_data(as_text=True)
    assert client.get("/dashboard/activity", headers=HTML).status_code == 303


def test_a_form_without_its_csrf_token_is_refused(app: Flask) -> None:
    client = app.test_client()
    answer = client.post("/signin", data={"token": make_token(app)}, headers=HTML)
    assert answer.status_code == 400
    assert client.get("/dashboard/programs", headers=HTML).status_code == 303
    signed = signed_in(app, make_token(app))
    assert signed.post("/signout", headers=HTML).status_code == 400
    assert signed.get("/dashboard/programs", headers=HTML).status_code == 200


def test_sign_out_ends_the_session(app: Flask) -> None:
    client = signed_in(app, make_token(app))
    answer = client.post("/signout", data={"csrf_token": csrf_of(client, "/")}, headers=HTML)
    assert answer.status_code == 303
    after = client.get("/dashboard/activity", headers=HTML)
    assert after.status_code == 303 and after.headers["Location"].startswith("/signin")


def test_a_revoked_token_ends_its_sessions(app: Flask) -> None:
    token = make_token(app)
    client = signed_in(app, token)
    with system_service(app) as service:
        row = tokens.authenticate(service.ctx.conn, token)
        assert row.token_id is not None
        tokens.revoke_token(service.ctx.conn, row.token_id)
    forget_tokens()
    assert client.get("/dashboard/programs", headers=HTML).status_code == 303


def test_sign_in_returns_only_to_a_page_of_this_site(app: Flask) -> None:
    client = app.test_client()
    for target, expected in (("/dashboard/programs", "/dashboard/programs"),
                             ("https://evil.example/", "/"), ("//evil.example/", "/"),
                             ("/\\evil.example/", "/"), ("evil", "/")):
        answer = client.post(f"/signin?next={target}", headers=HTML,
                             data={"csrf_token": csrf_of(client), "token": make_token(app)})
        assert answer.headers["Location"] == expected, target
