"""Several registry nodes in one process, each on its own database, talking over WSGI.

Each backend gets three extra databases, migrated once per session (``node_urls``). A test's
nodes each run on one connection whose transaction is rolled back at the end (as the main
suite's ``app``), and a ``Network`` routes every peer request to the right node's WSGI app by
host, so nothing leaves the process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from flask import Flask

from registry.services.federation.sync import Syncer, SyncReport
from registry.storage import migrate
from registry.storage.database import Engine, create_engine
from tests.conftest import (
    POSTGRES_SERVER,
    Fhir,
    build_app,
    join,
    joined,
    make_token,
    system_service,
)
from tests.security.network import SECRET

NODES = ("hub-pe", "hub-br", "global")
PUBLISHED = {"tag": [{"system": "https://telementoring.example.org/fhir/CodeSystem/network",
                      "code": "published"}]}


def base_of(name: str) -> str:
    return f"http://{name}.test/fhir"


def published(resource: dict[str, Any]) -> dict[str, Any]:
    return {**resource, "meta": PUBLISHED}


@pytest.fixture(scope="session")
def node_urls(database_url: str, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[dict[str, str]]:
    """A migrated database per node, beside the session's own (same backend)."""
    urls: dict[str, str] = {}
    made: list[str] = []
    if database_url.startswith("sqlite"):
        for name in NODES:
            urls[name] = f"sqlite:///{tmp_path_factory.mktemp(name) / 'node.db'}"
    else:
        main = sa.engine.make_url(database_url)
        admin = sa.create_engine(sa.engine.make_url(POSTGRES_SERVER),
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in NODES:
                db = f"{main.database}_{name.replace('-', '_')}"
                conn.execute(sa.text(f"CREATE DATABASE {db}"))
                made.append(db)
                urls[name] = main.set(database=db).render_as_string(hide_password=False)
        admin.dispose()
    for url in urls.values():
        engine = create_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
    yield urls
    if made:
        admin = sa.create_engine(sa.engine.make_url(POSTGRES_SERVER),
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for db in made:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(scope="session")
def node_engines(node_urls: dict[str, str]) -> Iterator[dict[str, Engine]]:
    engines = {name: create_engine(url, pool_size=2) for name, url in node_urls.items()}
    yield engines
    for engine in engines.values():
        engine.dispose()


@dataclass
class Network:
    """The nodes of one test, and a transport that reaches each by its host."""

    apps: dict[str, Flask]
    handlers: dict[str, Any] = field(default_factory=dict)  # host -> fault injector

    def transport(self, base: str) -> httpx.BaseTransport:
        return httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host.removesuffix(".test")
        fault = self.handlers.get(host)
        if fault is not None:
            answer: httpx.Response | None = fault(request)
            if answer is not None:
                return answer
        if host not in self.apps:
            raise httpx.ConnectError(f"no node at {request.url.host}", request=request)
        return self._handle_app(host, request)

    def _handle_app(self, host: str, request: httpx.Request) -> httpx.Response:
        """What node ``host`` itself answers ``request`` (fault injectors call it too)."""
        with httpx.Client(transport=httpx.WSGITransport(app=self.apps[host]),
                          base_url=f"http://{request.url.host}") as client:
            answer = client.send(request)
            answer.read()
            return answer

    def fhir(self, name: str) -> Fhir:
        return Fhir(self.apps[name].test_client(), make_token(self.apps[name]))

    def syncer(self, name: str, **kw: Any) -> Syncer:
        app = self.apps[name]
        return Syncer(app.extensions["registry.database"], app.extensions["registry.node"],
                      base_of(name), transport=self.transport, sleep=lambda _: None, **kw)

    def sync(self, puller: str, peer: str) -> SyncReport:
        from registry.services.federation import peers

        with system_service(self.apps[puller], write=False) as service:
            row = peers.find(service.ctx, peer)
        return self.syncer(puller).sync(row)

    def add_peer(self, puller: str, peer: str) -> None:
        """``peer`` issues a static peer token; ``puller`` adds ``peer`` with it."""
        from registry.services.federation import peers

        token = make_token(self.apps[peer], role="peer")
        with system_service(self.apps[puller]) as service:
            peers.add(service, peer, base_of(peer), None, token)


@pytest.fixture
def network(node_urls: dict[str, str], node_engines: dict[str, Engine],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    with ExitStack() as stack:
        apps = {}
        for name in NODES:
            conn = stack.enter_context(joined(node_engines[name]))
            key = tmp_path_factory.mktemp(f"{name}-key") / "node-key.pem"
            apps[name] = join(build_app(node_urls[name], base_url=base_of(name),
                                        node_key=str(key), node_secret=SECRET),
                              node_engines[name], conn)
        yield Network(apps)
