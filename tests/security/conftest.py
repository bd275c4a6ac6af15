"""Fixtures for the security tests: the two-country network and one client per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask

from registry.storage.database import Engine, create_engine
from tests.conftest import Fhir, build_app, join, joined, make_token
from tests.security.network import SECRET, Loaded, load_network, present_again

ROLES = ("network-admin", "hub-admin", "spoke-clinician", "national-program", "global-viewer",
         "peer")
BINDINGS = {"hub-admin": "Organization/hub-1", "spoke-clinician": "Organization/spoke-1",
            "national-program": "PE"}


@dataclass
class Network:
    """The loaded network and a FHIR client per role (``admin`` is network-admin)."""

    app: Flask
    loaded: Loaded
    clients: dict[str, Fhir] = field(default_factory=dict)

    def key(self, name: str) -> str:
        """The real ``Type/id`` of a network resource: case parts extracted by the transform
        step have pseudonymous ids, named in tests by their aliases (``Composition/case-1``)."""
        return self.loaded.aliases.get(name, name)

    def id(self, name: str) -> str:
        return self.key(name).split("/", 1)[1]

    def present_again(self, side: str) -> None:
        present_again(self.app, side, self.loaded.aliases)

    def client(self, role: str) -> Fhir:
        if role not in self.clients:
            binding = BINDINGS.get(role)
            token = make_token(self.app, role, **({"binding": binding} if binding else {}))
            self.clients[role] = Fhir(self.app.test_client(), token)
        return self.clients[role]

    def client_as(self, role: str, binding: str) -> Fhir:
        """A client with another binding than the role's usual one (e.g. hub-2's admin)."""
        key = f"{role}@{binding}"
        if key not in self.clients:
            self.clients[key] = Fhir(self.app.test_client(),
                                     make_token(self.app, role, binding=binding))
        return self.clients[key]

    @property
    def admin(self) -> Fhir:
        return self.client("network-admin")


def network_app(database_url: str, **overrides: Any) -> Flask:
    return build_app(database_url, rate_limit="100000 per minute", node_secret=SECRET,
                     **overrides)


@pytest.fixture(scope="module")
def shared_network(database_url: str) -> Iterator[Network]:
    """One network per module and backend, for tests that leave it as they found it (what
    they write is rolled back with the module)."""
    engine = create_engine(database_url, pool_size=1)
    with joined(engine) as conn:
        app = join(network_app(database_url), engine, conn)
        yield Network(app, load_network(app))
    engine.dispose()


@pytest.fixture
def network(database_url: str, engine: Engine) -> Iterator[Network]:
    """A fresh network for tests that change it (rolled back after the test)."""
    with joined(engine) as conn:
        app = join(network_app(database_url), engine, conn)
        yield Network(app, load_network(app))
