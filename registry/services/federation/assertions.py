"""SMART Backend Services client assertions: built by the puller, validated by the node pulled.

The puller authenticates at the token endpoint of the node it pulls from with a
``client_credentials`` request whose ``client_assertion`` is a JWT signed with the puller's
node key (``keys``): ``iss`` and ``sub`` its client id, ``aud`` the token endpoint URL, ``exp``
at most five minutes ahead and a ``jti`` never used before.

The node being pulled checks, in this order, and answers the first failure as a ``Refusal``
(a value with a one-line reason, for the 401 body and the AuditEvent, never an exception):
the form (grant type, assertion type), the algorithm (RS384 or ES384 only: ``none``, HMAC and
everything else are refused before any key is touched), ``iss == sub`` naming a registered
client, the signature against that client's registered JWKS, ``aud`` equal to this node's token
URL, ``exp`` present, in the future and at most five minutes ahead, the ``jti`` not seen before
(the replay store, kept in the database by the caller, is asked last, so only authentic
assertions consume an id), and the requested scopes. A ``jku`` header is ignored: keys are
those registered with ``registry peer trust``, never fetched.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from registry.services.federation.keys import NodeKey
from registry.services.policy import SYSTEM_SCOPE

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
GRANT_TYPE = "client_credentials"
ACCEPTED_ALGORITHMS = ("RS384", "ES384")
MAX_ASSERTION_SECONDS = 300
DEFAULT_ASSERTION_SECONDS = 120  # well inside the limit, so a peer's clock may run a bit behind
SCOPE = SYSTEM_SCOPE


class ReplayStore(Protocol):
    """Assertion ids seen so far, kept until they expire (in the database, shared by workers)."""

    def remember(self, client_id: str, jti: str, expires_at: int) -> bool:
        """Record the id; False when this client already used it."""
        ...


@dataclass(frozen=True)
class RegisteredClient:
    """A puller this node trusts: its client id and the public JWKS it registered."""

    client_id: str
    jwks: Mapping[str, Any]


ClientLookup = Callable[[str], RegisteredClient | None]


@dataclass(frozen=True)
class Grant:
    """An accepted token request: who asked, for which scopes, with which assertion."""

    client_id: str
    scopes: tuple[str, ...]
    jti: str
    expires_at: int


@dataclass(frozen=True)
class Refusal:
    """A refused token request: the OAuth error code and a one-line reason."""

    reason: str
    error: str = "invalid_client"
    client_id: str | None = None  # the client the assertion claimed to be, when it said

    @property
    def status(self) -> int:
        """401 for a failed client authentication (RFC 6749 section 5.2), 400 otherwise."""
        return 401 if self.error == "invalid_client" else 400


def build_client_assertion(key: NodeKey, client_id: str, token_url: str, *,
                           now: int | None = None,
                           lifetime: int = DEFAULT_ASSERTION_SECONDS) -> str:
    """A signed assertion for one token request at ``token_url``."""
    if not 0 < lifetime <= MAX_ASSERTION_SECONDS:
        raise ValueError(f"an assertion lives 1 to {MAX_ASSERTION_SECONDS} s, not {lifetime}")
    issued = int(time.time()) if now is None else now
    header = {"alg": key.algorithm, "kid": key.kid, "typ": "JWT"}
    claims = {"iss": client_id, "sub": client_id, "aud": token_url, "iat": issued,
              "exp": issued + lifetime, "jti": secrets.token_urlsafe(24)}
    return jwt.encode(header, claims, key.private, algorithms=[key.algorithm])


def validate_token_request(form: Mapping[str, str], *, token_url: str, clients: ClientLookup,
                           replays: ReplayStore, now: int | None = None) -> Grant | Refusal:
    """The grant for a token request's form fields, or why it is refused."""
    if form.get("grant_type") != GRANT_TYPE:
        return Refusal(f"grant_type must be {GRANT_TYPE}", "unsupported_grant_type")
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        return Refusal(f"client_assertion_type must be {ASSERTION_TYPE}", "invalid_request")
    assertion = form.get("client_assertion", "")
    if not assertion:
        return Refusal("client_assertion is missing", "invalid_request")
    checked = validate_client_assertion(assertion, token_url=token_url, clients=clients,
                                        replays=replays, now=now)
    if isinstance(checked, Refusal):
        return checked
    scopes = parse_scopes(form.get("scope", ""))
    if isinstance(scopes, str):
        return Refusal(scopes, "invalid_scope", checked.client_id)
    return Grant(checked.client_id, scopes, checked.jti, checked.expires_at)


def validate_client_assertion(assertion: str, *, token_url: str, clients: ClientLookup,
                              replays: ReplayStore, now: int | None = None
                              ) -> Grant | Refusal:
    """The client an assertion authenticates (with no scopes yet), or why it is refused."""
    moment = int(time.time()) if now is None else now
    unverified = _unverified(assertion)
    if isinstance(unverified, Refusal):
        return unverified
    header, claims = unverified
    client_id = claims.get("iss")
    refusal = _check_header_and_issuer(header, claims)
    if refusal is not None:
        return refusal
    assert isinstance(client_id, str)
    client = clients(client_id)
    if client is None:
        return Refusal(f"unknown client {client_id!r}", client_id=client_id)
    verified = _verify(assertion, client, header["alg"], token_url, moment)
    if isinstance(verified, Refusal):
        return verified
    if not replays.remember(client_id, verified["jti"], int(verified["exp"])):
        return Refusal("assertion jti was already used (replay)", client_id=client_id)
    return Grant(client_id, (), verified["jti"], int(verified["exp"]))


def parse_scopes(text: str) -> tuple[str, ...] | str:
    """The requested scopes, in order and once each, or the one-line reason they are refused."""
    scopes = tuple(dict.fromkeys(text.split()))
    if not scopes:
        return "scope is required (system/*.read or system/*.rs)"
    for scope in scopes:
        if not SCOPE.fullmatch(scope):
            return (f"scope {scope!r} is not accepted: only system/*.read, system/*.rs "
                    f"or system/<Type>.read|rs")
    return scopes


def _unverified(assertion: str) -> tuple[dict[str, Any], dict[str, Any]] | Refusal:
    """Header and claims before the signature is checked: only to find the client."""
    try:
        compact = jws.extract_compact(assertion.encode())
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, TypeError, UnicodeError):
        return Refusal("client_assertion is not a signed JWT")
    if not isinstance(claims, dict):
        return Refusal("client_assertion claims are not a JSON object")
    return dict(compact.protected), claims


def _check_header_and_issuer(header: Mapping[str, Any], claims: Mapping[str, Any]
                             ) -> Refusal | None:
    algorithm = header.get("alg")
    issuer, subject = claims.get("iss"), claims.get("sub")
    named = issuer if isinstance(issuer, str) else None
    if algorithm not in ACCEPTED_ALGORITHMS:
        return Refusal(f"assertion algorithm {algorithm!r} is not accepted "
                       f"(only {' or '.join(ACCEPTED_ALGORITHMS)})", client_id=named)
    if not isinstance(issuer, str) or not issuer:
        return Refusal("assertion has no iss (the client id)")
    if subject != issuer:
        return Refusal("assertion iss and sub differ; both must be the client id",
                       client_id=named)
    return None


def _verify(assertion: str, client: RegisteredClient, algorithm: str, token_url: str,
            now: int) -> dict[str, Any] | Refusal:
    """The claims of an assertion whose signature and claims hold, or why they do not."""
    def refuse(reason: str) -> Refusal:
        return Refusal(reason, client_id=client.client_id)

    try:
        keys = KeySet.import_key_set(dict(client.jwks))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError):
        return refuse(f"client {client.client_id!r} has no usable registered JWKS")
    try:
        claims = jwt.decode(assertion, keys, algorithms=[algorithm]).claims
    except InvalidKeyIdError:
        return refuse("assertion kid names no key the client registered")
    except (BadSignatureError, JoseError, ValueError):
        return refuse("assertion signature does not verify with the client's registered keys")
    return _check_claims(claims, client.client_id, token_url, now) or claims


def _check_claims(claims: dict[str, Any], client_id: str, token_url: str,
                  now: int) -> Refusal | None:
    registry = jwt.JWTClaimsRegistry(
        now=now, iss={"essential": True, "value": client_id},
        sub={"essential": True, "value": client_id}, aud={"essential": True, "value": token_url},
        exp={"essential": True}, jti={"essential": True})
    try:
        registry.validate(claims)
    except MissingClaimError as missing:
        return Refusal(f"assertion lacks {missing.claim}", client_id=client_id)
    except ExpiredTokenError:
        return Refusal("assertion has expired", client_id=client_id)
    except JoseError as invalid:
        return Refusal(_invalid_claim(invalid, token_url), client_id=client_id)
    if claims["exp"] > now + MAX_ASSERTION_SECONDS:
        return Refusal(f"assertion exp is more than {MAX_ASSERTION_SECONDS} s ahead",
                       client_id=client_id)
    return None


def _invalid_claim(error: JoseError, token_url: str) -> str:
    claim = getattr(error, "claim", "")
    if claim == "aud":
        return f"assertion aud is not this node's token endpoint {token_url}"
    return f"assertion {claim or 'claim'} is invalid: {error.description}"
