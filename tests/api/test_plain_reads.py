"""Plain reads and searches answered beneath Flask (``registry.api.plain_reads``): Flask's
answer, by Flask's rules, charged once, and everything unusual left to Flask."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from flask import Flask
from limits import parse
from werkzeug.test import Client

from registry.api.auth import bearer_token, forget_tokens
from registry.api.plain_reads import PLAIN_PATH, PlainReads
from registry.services.fhir import FhirService
from tests.conftest import Fhir, make_token
from tests.security.conftest import network_app

ORG = {"resourceType": "Organization", "name": "Hub (test)"}


@pytest.fixture
def to_flask(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every request the layer hands to Flask, as ``METHOD path?query``."""
    layer = app.wsgi_app
    assert isinstance(layer, PlainReads)
    inner = layer.flask_app

    def counted(environ: dict[str, Any], start_response: Callable[..., Any]
                ) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING")
        handed.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}"
                      + (f"?{query}" if query else ""))
        return inner(environ, start_response)

    handed: list[str] = []
    monkeypatch.setattr(layer, "flask_app", counted)
    return handed


def flask_only(app: Flask) -> Client:
    """A client of the Flask application itself, without the layer in front."""
    return Client(lambda environ, start: Flask.wsgi_app(app, environ, start),
                  app.response_class)


def assert_as_flask_answers(app: Flask, fhir: Fhir, to_flask: list[str], path: str) -> None:
    """The layer answers ``path`` itself, exactly as Flask does (but for the budget left)."""
    to_flask.clear()
    fast = fhir.get(path)
    assert to_flask == [], path  # answered beneath Flask
    slow = flask_only(app).get(f"/fhir/{path}", headers=fhir.headers())
    assert fast.status == slow.status == "200 OK"
    assert fast.get_data() == slow.get_data()
    remaining = "X-RateLimit-Remaining"
    assert ([h for h in fast.headers if h[0] != remaining]
            == [h for h in slow.headers if h[0] != remaining])
    assert int(fast.headers[remaining]) == int(slow.headers[remaining]) + 1


def test_a_plain_read_is_answered_beneath_flask_header_for_header(
        app: Flask, fhir: Fhir, to_flask: list[str]) -> None:
    created = fhir.create(ORG)
    updated = fhir.put(f"Organization/{created['id']}", {**created, "name": "Hub 2 (test)"})
    assert updated.status_code == 200
    for path in (f"Organization/{created['id']}",
                 f"Organization/{created['id']}/_history/1"):
        assert_as_flask_answers(app, fhir, to_flask, path)
    assert fhir.get(f"Organization/{created['id']}").json["name"] == "Hub 2 (test)"


def test_searches_are_answered_beneath_flask_header_for_header(
        app: Flask, fhir: Fhir, to_flask: list[str]) -> None:
    hub = fhir.create({**ORG, "identifier": [{"system": "urn:test", "value": "h-1"}]})
    for name in ("Spoke Ana (test)", "Spoke Ñandú (test)", "Spoke Bea (test)"):
        fhir.create({**ORG, "name": name, "partOf": {"reference": f"Organization/{hub['id']}"}})
    for path in ("Organization", "Organization?name=spoke", "Organization?name=%C3%B1and",
                 "Organization?identifier=urn:test|h-1", f"Organization?partof={hub['id']}",
                 "Organization?partof.identifier=urn:test|h-1&_sort=name",
                 "Organization?name=spoke&_count=1&_offset=1",
                 "Organization?_include=Organization:partof&name=spoke",
                 "Organization?name=spoke&_summary=count",
                 "Organization?name=spoke&_total=accurate",
                 "Organization?name=spoke&name=bea", "Organization?unknown=1&name=spoke",
                 "Organization?name=a+b&_elements=name", "Organization?name:contains=and",
                 f"Organization?_id={hub['id']}&_revinclude=Organization:partof"):
        assert_as_flask_answers(app, fhir, to_flask, path)


@pytest.mark.parametrize(("path", "headers", "status"), [
    ("Organization/{id}?_format=json", {}, 200),
    ("Organization/{id}", {"If-None-Match": 'W/"1"'}, 304),
    ("Organization/{id}", {"Accept": "application/fhir+xml"}, 406),
    ("Organization/{id}", {"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}, 200),
    ("Organization/{id}/", {}, 404),
    ("Organization/{id}/_history", {}, 200),
    ("Unknown/{id}", {}, 404),
    ("Organization/{id}", {"Authorization": "Basic dXNlcg=="}, 401),
    ("Organization?_format=json", {}, 200),
    ("Organization?name=x", {"Prefer": "handling=strict"}, 200),
    ("Organization?unknown=1", {"Prefer": "handling=strict"}, 400),
    ("Organization?_count=many", {}, 400),
    ("Organization?name=", {}, 400),
    ("Organization/", {}, 404),
])
def test_anything_unusual_is_left_to_flask(fhir: Fhir, to_flask: list[str], path: str,
                                           headers: dict[str, str], status: int) -> None:
    created = fhir.create(ORG)
    to_flask.clear()
    response = fhir.get(path.format(id=created["id"]), headers=headers)
    assert response.status_code == status
    assert len(to_flask) == 1


def test_head_and_case_level_reads_and_searches_are_left_to_flask(app: Flask, fhir: Fhir,
                                                     to_flask: list[str]) -> None:
    created = fhir.create(ORG)
    to_flask.clear()
    assert fhir.request("HEAD", f"Organization/{created['id']}").status_code == 200
    assert fhir.get("Composition/no-such-case").status_code == 404  # audited by Flask
    assert fhir.get("Composition?title=x").status_code == 200  # audited by Flask
    assert to_flask == [f"HEAD /fhir/Organization/{created['id']}",
                        "GET /fhir/Composition/no-such-case", "GET /fhir/Composition?title=x"]


def test_a_token_not_verified_lately_is_looked_up_by_flask(app: Flask, fhir: Fhir,
                                                           to_flask: list[str]) -> None:
    created = fhir.create(ORG)
    forget_tokens()
    to_flask.clear()
    path = f"Organization/{created['id']}"
    assert [fhir.get(path).status_code for _ in range(2)] == [200, 200]
    assert to_flask == [f"GET /fhir/{path}"]  # the first looks it up; the second is cached
    forged = Fhir(app.test_client(), "tnr_not-a-real-token-at-all")
    assert forged.get(path).status_code == 401
    assert fhir.search("AuditEvent?outcome=8")["total"] == 1  # the failure is audited


@pytest.mark.settings(rate_limit="7 per minute")
def test_errors_are_answered_by_flask_and_charged_once(fhir: Fhir, to_flask: list[str]
                                                       ) -> None:
    created = fhir.create(ORG)
    gone = fhir.create(ORG)
    assert fhir.delete(f"Organization/{gone['id']}").status_code == 204  # 4 left
    to_flask.clear()
    answers = [fhir.get(f"Organization/{created['id']}"), fhir.get("Organization/missing"),
               fhir.get(f"Organization/{gone['id']}"),
               fhir.get(f"Organization/{created['id']}/_history/9")]
    assert [a.status_code for a in answers] == [200, 404, 410, 404]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["3", "2", "1", "0"]
    assert answers[1].json["resourceType"] == "OperationOutcome"
    assert len(to_flask) == 3  # the three errors, each charged once


@pytest.mark.settings(rate_limit="3 per minute")
def test_a_spent_budget_is_refused_by_flask_and_audited_once(app: Flask, fhir: Fhir,
                                                             to_flask: list[str]) -> None:
    created = fhir.create(ORG)
    path = f"Organization/{created['id']}"
    answers = [fhir.get(path) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 429, 429]
    assert [a.headers.get("X-RateLimit-Remaining") for a in answers[:2]] == ["1", "0"]
    assert int(answers[2].headers["Retry-After"]) > 0
    assert answers[2].json["issue"][0]["code"] == "throttled"
    assert to_flask == ["POST /fhir/Organization", f"GET /fhir/{path}", f"GET /fhir/{path}"]
    app.extensions["registry.limiter"].enabled = False  # the audit search itself
    assert fhir.search("AuditEvent?outcome=4")["total"] == 1  # once per client and window


def test_a_failure_beneath_flask_is_logged_and_answered_by_flask(
        fhir: Fhir, to_flask: list[str], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    created = fhir.create(ORG)
    read = FhirService.read
    failures = iter([RuntimeError("broken beneath Flask")])

    def once_broken(self: FhirService, res_type: str, res_id: str) -> Any:
        for failure in failures:
            raise failure
        return read(self, res_type, res_id)

    monkeypatch.setattr(FhirService, "read", once_broken)
    to_flask.clear()
    with caplog.at_level(logging.ERROR, logger="registry.api.plain_reads"):
        assert fhir.get(f"Organization/{created['id']}").status_code == 200
    assert len(to_flask) == 1
    assert "failed beneath Flask" in caplog.text


def test_only_the_search_read_and_vread_rules_match_the_paths_answered_beneath_flask(
        app: Flask) -> None:
    samples = {"res_type": "Organization", "res_id": "abc", "version": "2"}
    adapter = app.url_map.bind("registry.test")
    answered_beneath: set[str] = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: samples.get(m[1], "x1"), rule.rule)
        if PLAIN_PATH.fullmatch(path):
            assert rule.endpoint in ("fhir.search", "fhir.read", "fhir.vread"), rule.rule
            assert adapter.match(path, "GET")[0] == rule.endpoint
            answered_beneath.add(rule.endpoint)
    assert answered_beneath == {"fhir.search", "fhir.read", "fhir.vread"}
    for other in ("/fhir/Organization/_history", "/fhir/Organization/$validate",
                  "/fhir/ValueSet/$expand", "/fhir/$export-status/abc", "/fhir/_history",
                  "/fhir/metadata", "/fhir/Organization/_search", "/fhir/$export",
                  "/fhir/Organization/abc/$validate", "/fhir/Organization/abc/_history"):
        assert PLAIN_PATH.fullmatch(other) is None


def test_with_cors_configured_flask_answers_every_request(database_url: str) -> None:
    opened = network_app(database_url, cors_origins="https://dashboard.example.org")
    assert not isinstance(opened.wsgi_app, PlainReads)
    opened.extensions["registry.engine"].dispose()


def test_the_layer_sees_the_address_forwarded_by_trusted_proxies(database_url: str) -> None:
    app = network_app(database_url, trusted_proxies=1)
    app.extensions["registry.limiter"].auth_failures = parse("1 per minute")
    admin = Fhir(app.test_client(), make_token(app))
    created = admin.create(ORG)
    path = f"Organization/{created['id']}"
    failing = {"X-Forwarded-For": "203.0.113.7"}
    assert Fhir(app.test_client(), "tnr_wrong-token-here").get(path, headers=failing
                                                               ).status_code == 401
    assert admin.get(path, headers=failing).status_code == 429  # that address is spent
    assert admin.get(path, headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 200
    app.extensions["registry.engine"].dispose()


@pytest.mark.parametrize(("header", "token"), [
    ("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Bearer", None), ("Bearer   ", None),
    ("Basic abc", None), ("", None)])
def test_bearer_token(header: str, token: str | None) -> None:
    assert bearer_token(header) == token
