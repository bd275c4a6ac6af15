"""Fixtures: every API test runs on SQLite and on PostgreSQL.

Each backend is migrated once per session (through Alembic, as in production). Each test then
runs on one connection inside a transaction that is rolled back when it ends: every unit of
work of the test is a savepoint of that transaction (``JoinedDatabase``), so tests never see
each other's rows and need no emptying of tables. Tests that must commit for real (several
connections, other processes) use ``committing_app``, which empties the tables around them.
PostgreSQL is skipped only when unreachable and not required — under CI
(``REGISTRY_TEST_REQUIRE_POSTGRESQL=1``) an unreachable server fails the run.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from registry import cli
from registry.app import create_app
from registry.http.auth import forget_tokens
from registry.services import tokens
from registry.services.audit import AuditTrail
from registry.services.caller import Caller
from registry.services.fhir import FhirService
from registry.services.unit import unit_of_work
from registry.storage import migrate
from registry.storage.database import Connection, Database, Engine, create_engine, transaction
from registry.storage.tables import metadata

POSTGRES_SERVER = os.environ.get("REGISTRY_TEST_POSTGRES_URL",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# One database per run, so suites running side by side on one server never touch each other's.
POSTGRES_DATABASE = os.environ.get("REGISTRY_TEST_POSTGRES_DATABASE",
                                   f"registry_test_{os.getpid()}_{secrets.token_hex(3)}")
REQUIRE_POSTGRES = os.environ.get("REGISTRY_TEST_REQUIRE_POSTGRESQL") == "1"
BACKENDS = ["sqlite", "postgresql"]
TEST_BASE = "http://registry.test/fhir"


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


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    found = create_engine(database_url, pool_size=2)
    yield found
    found.dispose()


class JoinedDatabase(Database):
    """Every unit of work a savepoint of one connection whose transaction the test rolls back."""

    def __init__(self, engine: Engine, conn: Connection) -> None:
        super().__init__(engine)
        self.conn = conn

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Connection]:  # type: ignore[override]
        self.conn.info["write"], self.conn.info["scratch"] = write, {}
        try:
            with self.conn.begin_nested():
                yield self.conn
        finally:
            self.conn.info.pop("write", None)
            self.conn.info.pop("scratch", None)

    def autocommit(self) -> Any:
        return self.transaction(write=False)

    def dispose(self) -> None:
        """The connection belongs to the fixture that opened it."""


@contextmanager
def joined(engine: Engine) -> Iterator[Connection]:
    """One connection in a transaction that is rolled back at the end."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


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


def build_app(database_url: str, **overrides: Any) -> Flask:
    forget_tokens()
    application = create_app({"database_url": database_url, "base_url": TEST_BASE,
                              "node_secret": "test-node-secret", **overrides})
    application.config["TESTING"] = True
    cli.init_app(application)  # as wsgi.py does: ``flask --app wsgi ...``
    return application


def join(app: Flask, engine: Engine, conn: Connection) -> Flask:
    """Run every unit of work of ``app`` on ``conn``."""
    app.extensions["registry.database"].dispose()
    app.extensions["registry.database"] = JoinedDatabase(engine, conn)
    return app


@pytest.fixture
def app(database_url: str, engine: Engine, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """An application whose writes are rolled back after the test;
    ``@pytest.mark.settings(...)`` overrides settings."""
    marker = request.node.get_closest_marker("settings")
    with joined(engine) as conn:
        yield join(build_app(database_url, **(marker.kwargs if marker else {})), engine, conn)


@pytest.fixture
def committing_app(database_url: str, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """An application that commits for real (several connections, other processes), on
    tables emptied before and after it."""
    marker = request.node.get_closest_marker("settings")
    empty_tables(database_url)
    application = build_app(database_url, **(marker.kwargs if marker else {}))
    yield application
    application.extensions["registry.database"].dispose()
    empty_tables(database_url)


@contextmanager
def system_service(app: Flask, *, write: bool = True, name: str = "test"
                   ) -> Iterator[FhirService]:
    """The service of a unit of work on ``app``, acting as the node itself (test set-up)."""
    with app.app_context(), unit_of_work(app.extensions["registry.database"],
                                         app.extensions["registry.node"], Caller.system(name),
                                         AuditTrail(), TEST_BASE, write=write) as service:
        yield service


def make_token(app: Flask, role: str = "network-admin", **kwargs: Any) -> str:
    with system_service(app) as service:
        plaintext, _ = tokens.create_token(service.ctx.conn, role=role, name=f"test-{role}",
                                           **kwargs)
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
