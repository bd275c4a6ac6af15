"""Fixtures: every API test runs on SQLite and on PostgreSQL.

Each backend is migrated once per session (through Alembic, as in production); each test then
starts from empty tables. PostgreSQL is skipped only when unreachable and not required —
under CI (``REGISTRY_TEST_REQUIRE_POSTGRESQL=1``) an unreachable server fails the run.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from registry import create_app
from registry.api.auth import forget_tokens
from registry.services import tokens
from registry.storage import migrate
from registry.storage.database import create_engine, transaction
from registry.storage.tables import metadata

POSTGRES_SERVER = os.environ.get("REGISTRY_TEST_POSTGRES_URL",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# One database per run, so suites running side by side on one server never touch each other's.
POSTGRES_DATABASE = os.environ.get("REGISTRY_TEST_POSTGRES_DATABASE",
                                   f"registry_test_{os.getpid()}_{secrets.token_hex(3)}")
REQUIRE_POSTGRES = os.environ.get("REGISTRY_TEST_REQUIRE_POSTGRESQL") == "1"
BACKENDS = ["sqlite", "postgresql"]


def _postgres_url(request: pytest.FixtureRequest) -> str:
    server = sa.engine.make_url(POSTGRES_SERVER)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {POSTGRES_DATABASE}"))
        request.addfinalizer(lambda: _drop_database(server))
    except sa.exc.OperationalError as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required but unreachable: {exc.orig}", pytrace=False)
        pytest.skip("PostgreSQL is not reachable")
    finally:
        admin.dispose()
    return server.set(database=POSTGRES_DATABASE).render_as_string(hide_password=False)


def _drop_database(server: sa.engine.URL) -> None:
    """Drop this run's own database (its name is unique to the run, so FORCE harms no one)."""
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)"))
    finally:
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                 ) -> str:
    """A freshly migrated database of each backend, once per session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'registry.db'}"
    else:
        url = _postgres_url(request)
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def empty_tables(url: str) -> None:
    engine = create_engine(url)
    names = [t.name for t in reversed(metadata.sorted_tables)]
    with transaction(engine, write=True) as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        else:
            for name in names:
                conn.execute(sa.text(f"DELETE FROM {name}"))
    engine.dispose()


@pytest.fixture
def app(database_url: str, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """A fresh application on empty tables; ``@pytest.mark.settings(...)`` overrides settings."""
    empty_tables(database_url)
    forget_tokens()
    marker = request.node.get_closest_marker("settings")
    overrides = {"database_url": database_url, "base_url": "http://registry.test/fhir",
                 **(marker.kwargs if marker else {})}
    application = create_app(overrides)
    application.config["TESTING"] = True
    yield application
    application.extensions["registry.engine"].dispose()


def make_token(app: Flask, role: str = "network-admin", **kwargs: Any) -> str:
    from registry.db import unit_of_work

    with app.app_context(), unit_of_work(write=True) as conn:
        plaintext, _ = tokens.create_token(conn, role=role, name=f"test-{role}", **kwargs)
    return plaintext


class Fhir:
    """A FHIR client over Flask's test client, with a bearer token and JSON helpers."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def headers(self, extra: dict[str, str] | None = None,
                content_type: str = "application/fhir+json") -> dict[str, str]:
        headers = {"Content-Type": content_type}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, body: Any = None, *,
                headers: dict[str, str] | None = None,
                content_type: str = "application/fhir+json") -> Any:
        data = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
        return self.client.open(f"/fhir/{path.lstrip('/')}", method=method, data=data,
                                headers=self.headers(headers, content_type))

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any, **kw: Any) -> Any:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any, **kw: Any) -> Any:
        return self.request("PUT", path, body, **kw)

    def patch(self, path: str, body: Any, **kw: Any) -> Any:
        return self.request("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)

    def create(self, resource: dict[str, Any]) -> dict[str, Any]:
        response = self.post(resource["resourceType"], resource)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.json  # type: ignore[no-any-return]

    def search(self, query: str) -> dict[str, Any]:
        response = self.get(query)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json  # type: ignore[no-any-return]

    def ids(self, query: str) -> list[str]:
        bundle = self.search(query)
        return [e["resource"]["id"] for e in bundle.get("entry", [])
                if e.get("search", {}).get("mode") == "match"]


@pytest.fixture
def fhir(app: Flask) -> Fhir:
    return Fhir(app.test_client(), make_token(app))


@pytest.fixture
def anonymous(app: Flask) -> Fhir:
    return Fhir(app.test_client(), None)


DATA = Path(__file__).parent / "data"
