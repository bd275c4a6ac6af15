"""SMART Backend Services client assertions: the round trip, and every refusal with its reason."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from registry.services.federation import keys
from registry.services.federation.assertions import (
    ASSERTION_TYPE,
    Grant,
    Refusal,
    RegisteredClient,
    build_client_assertion,
    parse_scopes,
    validate_client_assertion,
    validate_token_request,
)
from registry.services.federation.keys import NodeKey

TOKEN_URL = "https://hub-a.example.org/auth/token"
CLIENT = "peer-global-1"
NOW = 1_900_000_000


class Replays:
    """The replay store's contract, kept in memory for the test."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], int] = {}

    def remember(self, client_id: str, jti: str, expires_at: int) -> bool:
        if (client_id, jti) in self.seen:
            return False
        self.seen[(client_id, jti)] = expires_at
        return True


@pytest.fixture(scope="module", params=["ES384", "RS384"])
def key(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> NodeKey:
    return keys.load_or_create(tmp_path_factory.mktemp("key") / "node-key.pem", request.param)


def lookup(key: NodeKey) -> Callable[[str], RegisteredClient | None]:
    registered = {CLIENT: RegisteredClient(CLIENT, key.jwks())}
    return registered.get


def form(assertion: str, scope: str = "system/*.rs") -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion, "scope": scope}


def signed(key: NodeKey, **changes: Any) -> str:
    """An assertion like the puller's, with some claims changed (None removes one)."""
    claims = {"iss": CLIENT, "sub": CLIENT, "aud": TOKEN_URL, "iat": NOW, "exp": NOW + 60,
              "jti": "jti-1"}
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": key.algorithm, "kid": key.kid}, claims, key.private,
                      algorithms=[key.algorithm])


def check(key: NodeKey, assertion: str, replays: Replays | None = None,
          scope: str = "system/*.rs") -> Grant | Refusal:
    return validate_token_request(form(assertion, scope), token_url=TOKEN_URL,
                                  clients=lookup(key), replays=replays or Replays(), now=NOW)


def refused(result: Grant | Refusal, reason: str) -> Refusal:
    assert isinstance(result, Refusal), result
    assert reason in result.reason
    assert "\n" not in result.reason
    return result


def test_round_trip(key: NodeKey) -> None:
    assertion = build_client_assertion(key, CLIENT, TOKEN_URL, now=NOW)
    replays = Replays()
    grant = check(key, assertion, replays, scope="system/*.read system/Organization.rs")
    assert isinstance(grant, Grant)
    assert grant.client_id == CLIENT
    assert grant.scopes == ("system/*.read", "system/Organization.rs")
    assert replays.seen == {(CLIENT, grant.jti): grant.expires_at}
    assert NOW < grant.expires_at <= NOW + 300


def test_each_built_assertion_has_its_own_jti(key: NodeKey) -> None:
    first = build_client_assertion(key, CLIENT, TOKEN_URL)
    second = build_client_assertion(key, CLIENT, TOKEN_URL)
    replays = Replays()
    for assertion in (first, second):
        result = validate_client_assertion(assertion, token_url=TOKEN_URL, clients=lookup(key),
                                           replays=replays)
        assert isinstance(result, Grant)
    assert len(replays.seen) == 2


def test_an_assertion_lives_at_most_five_minutes(key: NodeKey) -> None:
    with pytest.raises(ValueError, match="1 to 300 s"):
        build_client_assertion(key, CLIENT, TOKEN_URL, lifetime=301)


def test_replayed_jti_is_refused(key: NodeKey) -> None:
    replays = Replays()
    assertion = build_client_assertion(key, CLIENT, TOKEN_URL, now=NOW)
    assert isinstance(check(key, assertion, replays), Grant)
    result = refused(check(key, assertion, replays), "already used (replay)")
    assert result.status == 401 and result.client_id == CLIENT


def test_expired_is_refused(key: NodeKey) -> None:
    refused(check(key, signed(key, exp=NOW - 1)), "expired")
    refused(check(key, signed(key, exp=NOW)), "expired")


def test_exp_more_than_five_minutes_ahead_is_refused(key: NodeKey) -> None:
    refused(check(key, signed(key, exp=NOW + 301)), "more than 300 s ahead")
    assert isinstance(check(key, signed(key, exp=NOW + 300)), Grant)


@pytest.mark.parametrize("claim", ["exp", "jti", "aud"])
def test_missing_claims_are_refused(key: NodeKey, claim: str) -> None:
    refused(check(key, signed(key, **{claim: None})), f"lacks {claim}")


def test_wrong_aud_is_refused(key: NodeKey) -> None:
    refused(check(key, signed(key, aud="https://elsewhere.example.org/auth/token")),
            "not this node's token endpoint")


def _unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    return ".".join([part(json.dumps(header).encode()), part(json.dumps(claims).encode()),
                     part(signature)])


def _claims() -> dict[str, Any]:
    return {"iss": CLIENT, "sub": CLIENT, "aud": TOKEN_URL, "exp": NOW + 60, "jti": "x"}


def test_alg_none_is_refused(key: NodeKey) -> None:
    result = refused(check(key, _unsigned({"alg": "none"}, _claims())), "'none' is not accepted")
    assert result.status == 401


def test_hs256_with_the_public_key_as_secret_is_refused(key: NodeKey) -> None:
    """The classic confusion: an HMAC keyed with the verifier's own public key (joserfc will
    not even make such a key, so the test signs with hmac directly)."""
    public_pem = key.private.as_pem(private=False)
    unsigned = _unsigned({"alg": "HS256", "typ": "JWT"}, _claims()).rsplit(".", 1)[0]
    mac = hmac.new(public_pem, unsigned.encode(), hashlib.sha256).digest()
    forged = unsigned + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    refused(check(key, forged), "'HS256' is not accepted")


def test_other_asymmetric_algorithms_are_refused(key: NodeKey) -> None:
    p256 = ECKey.generate_key("P-256")
    forged = jwt.encode({"alg": "ES256"}, _claims(), p256, algorithms=["ES256"])
    refused(check(key, forged), "'ES256' is not accepted")


def test_bad_signature_is_refused(key: NodeKey, tmp_path: Path) -> None:
    impostor = keys.load_or_create(tmp_path / "other.pem", key.algorithm)
    forged = jwt.encode({"alg": impostor.algorithm}, _claims(), impostor.private,
                        algorithms=[impostor.algorithm])
    refused(check(key, forged), "signature does not verify")
    head, _, tail = signed(key).split(".")
    tampered = ".".join([head, _unsigned({}, {**_claims(), "jti": "other"}).split(".")[1], tail])
    refused(check(key, tampered), "signature does not verify")


def test_a_kid_the_client_did_not_register_is_refused(key: NodeKey, tmp_path: Path) -> None:
    impostor = keys.load_or_create(tmp_path / "other.pem", key.algorithm)
    forged = jwt.encode({"alg": key.algorithm, "kid": impostor.kid}, _claims(), impostor.private,
                        algorithms=[key.algorithm])
    refused(check(key, forged), "kid names no key")


def test_a_forged_assertion_does_not_consume_the_jti(key: NodeKey, tmp_path: Path) -> None:
    impostor = keys.load_or_create(tmp_path / "other.pem", key.algorithm)
    forged = jwt.encode({"alg": impostor.algorithm}, {**_claims(), "jti": "jti-1"},
                        impostor.private, algorithms=[impostor.algorithm])
    replays = Replays()
    refused(check(key, forged, replays), "signature")
    assert isinstance(check(key, signed(key, jti="jti-1"), replays), Grant)


def test_unknown_client_is_refused(key: NodeKey) -> None:
    result = refused(check(key, signed(key, iss="stranger", sub="stranger")),
                     "unknown client 'stranger'")
    assert result.client_id == "stranger" and result.status == 401


def test_iss_and_sub_must_be_the_same(key: NodeKey) -> None:
    refused(check(key, signed(key, sub="someone-else")), "iss and sub differ")
    refused(check(key, signed(key, iss=None, sub=None)), "no iss")


@pytest.mark.parametrize("scope", ["", "user/*.read", "patient/*.rs", "system/*.write",
                                   "system/*.cruds", "system/*.rs openid",
                                   "system/Organization.rs?name=x"])
def test_bad_scope_is_refused(key: NodeKey, scope: str) -> None:
    result = refused(check(key, signed(key), scope=scope), "scope")
    assert result.error == "invalid_scope" and result.status == 400


def test_form_errors_are_refused(key: NodeKey) -> None:
    good = form(signed(key))
    for field, value, error in [("grant_type", "password", "unsupported_grant_type"),
                                ("client_assertion_type", "urn:x", "invalid_request"),
                                ("client_assertion", "", "invalid_request")]:
        result = validate_token_request({**good, field: value}, token_url=TOKEN_URL,
                                        clients=lookup(key), replays=Replays(), now=NOW)
        assert isinstance(result, Refusal) and result.error == error


@pytest.mark.parametrize("garbage", ["garbage", "a.b.c", "..", "e30.W10.AA"])
def test_something_that_is_not_a_jwt_is_refused(key: NodeKey, garbage: str) -> None:
    refused(check(key, garbage), "client_assertion")


def test_a_client_with_an_unusable_jwks_is_refused(key: NodeKey) -> None:
    def broken(client_id: str) -> RegisteredClient:
        return RegisteredClient(client_id, {"keys": [{"kty": "EC"}]})

    result = validate_client_assertion(signed(key), token_url=TOKEN_URL, clients=broken,
                                       replays=Replays(), now=NOW)
    refused(result, "no usable registered JWKS")


def test_parse_scopes_keeps_order_once_each() -> None:
    assert parse_scopes("system/*.rs system/*.read system/*.rs") == ("system/*.rs",
                                                                   "system/*.read")


def test_real_clock_is_the_default(key: NodeKey) -> None:
    assertion = build_client_assertion(key, CLIENT, TOKEN_URL)
    grant = validate_client_assertion(assertion, token_url=TOKEN_URL, clients=lookup(key),
                                      replays=Replays())
    assert isinstance(grant, Grant) and grant.expires_at > time.time()
