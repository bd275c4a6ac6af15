"""Trust between two nodes end to end, in one process: the puller's key and assertion, the
pulled node's smart-configuration and token endpoint built from this package, and the peer
client in between (over WSGI)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask, request

from adapters.fhir_peer import BackendServices, PeerClient, PeerRefused
from registry.services.federation import keys, smart
from registry.services.federation.assertions import (
    Refusal,
    RegisteredClient,
    build_client_assertion,
    validate_token_request,
)
from registry.services.federation.keys import NodeKey

BASE = "http://hub-a.test/fhir"


class Replays:
    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    def remember(self, client_id: str, jti: str, expires_at: int) -> bool:
        fresh = (client_id, jti) not in self.seen
        self.seen.add((client_id, jti))
        return fresh


def pulled_node(clients: dict[str, RegisteredClient], refusals: list[Refusal]) -> Flask:
    """The node being pulled, as far as trust goes: discovery, token endpoint, one API read."""
    app = Flask("hub-a")
    issued: set[str] = set()
    replays = Replays()

    @app.get("/fhir/.well-known/smart-configuration")
    def configuration() -> Any:
        return smart.smart_configuration(BASE)

    @app.post("/auth/token")
    def token() -> Any:
        result = validate_token_request(request.form.to_dict(),
                                        token_url=smart.token_endpoint(BASE),
                                        clients=clients.get, replays=replays)
        if isinstance(result, Refusal):
            refusals.append(result)
            return smart.token_error(result), result.status
        issued.add(access := secrets.token_urlsafe(16))
        return smart.token_response(access, result.scopes)

    @app.get("/fhir/_history")
    def history() -> Any:
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in issued:
            return {"resourceType": "OperationOutcome", "issue": []}, 401
        return {"resourceType": "Bundle", "type": "history",
                "meta": {"lastUpdated": "2024-06-01T00:00:00Z"}}

    return app


@pytest.fixture
def puller_key(tmp_path: Path) -> NodeKey:
    return keys.load_or_create(tmp_path / "global" / "node-key.pem")


def puller(key: NodeKey, client_id: str, app: Flask) -> PeerClient:
    credentials = BackendServices(
        client_id, lambda audience: build_client_assertion(key, client_id, audience))
    return PeerClient(BASE, credentials, transport=httpx.WSGITransport(app=app))


def test_a_trusted_puller_gets_a_token_and_pulls(puller_key: NodeKey) -> None:
    refusals: list[Refusal] = []
    # What `registry peer trust global --jwks FILE` registers on hub A:
    clients = {"global-1": RegisteredClient("global-1", puller_key.jwks())}
    with puller(puller_key, "global-1", pulled_node(clients, refusals)) as client:
        [page] = list(client.history(None, ["Organization"]))
    assert page.high_water == "2024-06-01T00:00:00Z" and refusals == []


def test_an_untrusted_key_is_refused_and_the_refusal_is_a_value(puller_key: NodeKey,
                                                                tmp_path: Path) -> None:
    refusals: list[Refusal] = []
    stranger = keys.load_or_create(tmp_path / "stranger.pem")
    clients = {"global-1": RegisteredClient("global-1", puller_key.jwks())}
    with puller(stranger, "global-1", pulled_node(clients, refusals)) as client, \
            pytest.raises(PeerRefused, match="401: the peer refuses this node: assertion"):
        list(client.history(None))
    assert [r.client_id for r in refusals] == ["global-1"]
    assert refusals[0].reason == "assertion kid names no key the client registered"
