"""Abuse limits (body size, Bundle entries, _count, rate, time-outs), security headers,
CORS, and logs free of tokens and bodies."""

from __future__ import annotations

import logging
import time

import pytest
import sqlalchemy as sa
from flask import Flask
from limits import parse

from registry.services import limits as rate_limits
from registry.storage.database import Engine, create_engine, is_timeout
from tests.conftest import Fhir, build_app, join, joined, make_token

ORG = {"resourceType": "Organization", "name": "Hub"}


def audit_outcomes(app: Flask) -> list[str]:
    admin = Fhir(app.test_client(), make_token(app))  # a budget of its own
    bundle = admin.search("AuditEvent?_count=100")
    return sorted(e["resource"]["outcome"] for e in bundle.get("entry", []))


@pytest.mark.settings(rate_limit="3 per minute")
def test_rate_limit_per_token_answers_429_with_retry_after(app: Flask) -> None:
    limited = app
    first = Fhir(limited.test_client(), make_token(limited))
    second = Fhir(limited.test_client(), make_token(limited))
    answers = [first.get("Organization") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert "Retry-After" not in answers[0].headers
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    assert answers[0].headers["X-RateLimit-Limit"] == "3"
    assert int(answers[0].headers["X-RateLimit-Reset"]) > 0
    refused = first.get("Organization")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json["resourceType"] == "OperationOutcome"
    assert refused.json["issue"][0]["code"] == "throttled"
    assert first.get("Organization").status_code == 429
    assert second.get("Organization").status_code == 200  # its own budget
    assert audit_outcomes(limited) == ["4"]  # one audit per client and window, not per hit


@pytest.mark.settings(rate_limit="100 per hour;3 per minute;1000 per day")
def test_rate_limit_headers_name_the_limit_closest_to_running_out(app: Flask) -> None:
    client = Fhir(app.test_client(), make_token(app))
    answers = [client.get("Organization") for _ in range(2)]
    assert [a.headers["X-RateLimit-Limit"] for a in answers] == ["3", "3"]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1"]
    assert all(a.headers.getlist("X-RateLimit-Remaining") == [r] for a, r in
               zip(answers, ["2", "1"], strict=True))  # once each, not added twice


def test_failed_authentications_are_limited_per_address(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    one_window(monkeypatch)
    client = app.test_client()
    statuses = [Fhir(client, f"tnr_guess-{i:04d}-abcdefgh").get("Organization").status_code
                for i in range(31)]
    assert statuses[:30] == [401] * 30 and statuses[30] == 429


@pytest.mark.settings(max_body_bytes=300)
def test_body_too_large_is_413_and_audited(app: Flask) -> None:
    client = Fhir(app.test_client(), make_token(app))
    response = client.post("Organization", {**ORG, "alias": ["x" * 400]})
    assert response.status_code == 413 and response.json["resourceType"] == "OperationOutcome"
    assert audit_outcomes(app) == ["4"]


@pytest.mark.settings(max_bundle_entries=2, max_count=5, default_count=5)
def test_bundle_entries_and_count_are_capped(app: Flask) -> None:
    client = Fhir(app.test_client(), make_token(app))
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": ORG, "request": {"method": "POST", "url": "Organization"}}] * 3}
    assert client.post("", bundle).status_code == 413
    for _ in range(7):
        client.create(ORG)
    page = client.search("Organization?_count=500")
    assert len(page["entry"]) == 5
    next_url = next(link["url"] for link in page["link"] if link["relation"] == "next")
    assert "_count=5" in next_url


def test_statement_time_out_cancels_a_runaway_query(database_url: str) -> None:
    engine = create_engine(database_url, statement_timeout_ms=50)
    runaway = ("SELECT pg_sleep(5)" if engine.dialect.name == "postgresql" else
               "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
               "SELECT count(*) FROM n")
    with pytest.raises(sa.exc.OperationalError) as caught, engine.begin() as conn:
        conn.exec_driver_sql(runaway)
    assert is_timeout(caught.value)
    engine.dispose()


def test_a_timed_out_request_answers_503_timeout(app: Flask, database_url: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    client = Fhir(app.test_client(), make_token(app))
    engine = create_engine(database_url, statement_timeout_ms=50)
    runaway = ("SELECT pg_sleep(5)" if engine.dialect.name == "postgresql" else
               "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
               "SELECT count(*) FROM n")

    def slow_read(*args: object, **kwargs: object) -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql(runaway)

    from registry.services import fhir as service

    monkeypatch.setattr(service.FhirService, "read", slow_read)
    response = client.get("Organization/x")
    assert response.status_code == 503
    assert response.json["issue"][0]["code"] == "timeout"
    engine.dispose()


def test_security_headers_on_api_and_docs(app: Flask) -> None:
    client = app.test_client()
    api = Fhir(client, make_token(app)).get("Organization")
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert api.headers["X-Frame-Options"] == "DENY"
    assert api.headers["Referrer-Policy"] == "no-referrer"
    assert api.headers["Cache-Control"] == "no-store"
    assert api.headers["Content-Security-Policy"].startswith("default-src 'none'")
    error = client.get("/fhir/Organization")  # 401 answers carry them too
    assert error.headers["X-Frame-Options"] == "DENY"
    docs = client.get("/docs/")
    assert docs.status_code == 200 and docs.mimetype == "text/html"
    csp = docs.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = docs.get_data(as_text=True)
    assert "<script>" not in html and 'src="/docs/init.js"' in html
    with client.get("/docs/init.js") as script:
        assert script.status_code == 200 and b"SwaggerUIBundle" in script.get_data()


def test_cors_is_off_by_default_and_configurable(database_url: str) -> None:
    origin = {"Origin": "https://dashboard.example.org"}
    closed = build_app(database_url)
    response = closed.test_client().get("/fhir/metadata", headers=origin)
    assert "Access-Control-Allow-Origin" not in response.headers
    closed.extensions["registry.database"].dispose()
    opened = build_app(database_url, cors_origins="https://dashboard.example.org")
    client = opened.test_client()
    response = client.get("/fhir/metadata", headers=origin)
    assert response.headers["Access-Control-Allow-Origin"] == origin["Origin"]
    other = client.get("/fhir/metadata", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    opened.extensions["registry.database"].dispose()


def test_logs_hold_no_tokens_or_bodies(app: Flask, caplog: pytest.LogCaptureFixture,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    token = make_token(app)
    client = Fhir(app.test_client(), token)
    secret = "Narrative that must stay out of logs 9d2e"

    def broken(*args: object, **kwargs: object) -> None:
        with app.extensions["registry.database"].transaction(write=True) as conn:
            conn.execute(sa.text("INSERT INTO nowhere VALUES (:body)"), {"body": secret})

    from registry.services import fhir as service

    monkeypatch.setattr(service.FhirService, "create", broken)
    with caplog.at_level(logging.DEBUG):
        assert client.post("Organization", {**ORG, "name": secret}).status_code == 500
        logging.getLogger("registry.test").warning("caller sent Authorization: Bearer %s",
                                                   token)
    assert caplog.records  # the failure and the warning were logged...
    assert secret not in caplog.text and token not in caplog.text  # ...without either
    assert "[redacted]" in caplog.text


@pytest.mark.parametrize(("proxies", "address"), [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_client_address_comes_from_trusted_proxies_only(database_url: str, engine: Engine,
                                                        proxies: int, address: str) -> None:
    with joined(engine) as conn:
        app = join(build_app(database_url, trusted_proxies=proxies), engine, conn)
        assert_address_audited(app, address)


def assert_address_audited(app: Flask, address: str) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    assert Fhir(app.test_client(), None).get("Organization", headers=forwarded
                                             ).status_code == 401
    admin = Fhir(app.test_client(), make_token(app))
    [event] = [e["resource"] for e in admin.search("AuditEvent?outcome=8")["entry"]]
    assert event["agent"][0]["network"]["address"] == address


def one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """One rate window for the whole test: on a loaded machine its requests can outlast the
    minute they began in, and a new window rightly grants a new budget."""
    window_end = rate_limits._window_end(parse("1 per minute"), int(time.time())) + 3600
    monkeypatch.setattr(rate_limits, "_window_end", lambda _item, _now: window_end)


def test_a_budget_holds_across_processes_sharing_the_database(
        database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers (two apps on one database) spend one token's budget together: neither
    grants the whole budget on its own, and together they overrun it by at most the hits each
    may hold back (a hundredth of the budget)."""
    budget = 200
    one_window(monkeypatch)
    with joined(engine) as conn:
        workers = [join(build_app(database_url, rate_limit=f"{budget} per minute"), engine, conn)
                   for _ in range(2)]
        token = make_token(workers[0])
        clients = [Fhir(w.test_client(), token) for w in workers]
        statuses = [clients[i % 2].get("Organization?_count=1").status_code for i in range(300)]
    ok = statuses.count(200)
    assert budget - 2 * 2 <= ok <= budget + 2 * (budget // 100)
    assert statuses[-10:] == [429] * 10
