"""Trust between nodes, on the node being pulled: registered pullers and the token endpoint.

``registry peer trust NAME --jwks FILE`` registers a puller's public JWKS under a new random
client id. The token endpoint (``issue_token``) validates a SMART Backend Services
client-credentials request (``assertions``) with the clients and the replay store held in the
database, and answers an access token that lives at most five minutes. The token is an ordinary
bearer token of the ``peer`` role (the token table, hashed), so the one request pipeline
authenticates it like any other, and the policy's ``peer`` row says what it reaches. Each
refusal is one AuditEvent (authentication failed, with the reason and the client it claimed).
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from registry.errors import Conflict, InvalidRequest, NotFound
from registry.services import tokens
from registry.services.context import Context
from registry.services.federation import smart
from registry.services.federation.assertions import (
    ACCEPTED_ALGORITHMS,
    Grant,
    Refusal,
    RegisteredClient,
    validate_token_request,
)
from registry.storage import federation as rows
from registry.storage import tokens as token_rows
from registry.storage.database import Connection

PEER_ROLE = "peer"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")
PRUNE_AFTER_US = 86_400_000_000  # expired peer tokens are kept a day (for the audit's sake)


@dataclass(frozen=True)
class Issued:
    """An access token granted at the token endpoint (its plaintext, shown once)."""

    access_token: str
    scopes: tuple[str, ...]
    client_name: str


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise InvalidRequest(f"A peer name is 1-100 letters, digits, '.', '_' or '-', "
                             f"not {name!r}")
    return name


def check_jwks(jwks: Any) -> dict[str, Any]:
    """A public JWKS with at least one ES384 or RS384 signing key; the reason when not."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        raise InvalidRequest("The JWKS must be a JSON object with a non-empty 'keys' list")
    for key in jwks["keys"]:
        if not isinstance(key, dict) or any(m in key for m in PRIVATE_MEMBERS):
            raise InvalidRequest("The JWKS must hold public keys only (no private members)")
        if key.get("alg") not in (None, *ACCEPTED_ALGORITHMS):
            raise InvalidRequest(f"JWKS key alg {key.get('alg')!r} is not accepted "
                                 f"(only {' or '.join(ACCEPTED_ALGORITHMS)})")
    try:
        KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as bad:
        raise InvalidRequest(f"The JWKS cannot be read as keys: {bad}") from None
    return jwks


def trust(conn: Connection, name: str, jwks: Any) -> str:
    """Register a puller; returns the client id it authenticates with."""
    check_name(name)
    checked = check_jwks(jwks)
    if rows.find_client(conn, name=name) is not None:
        raise Conflict(f"A puller named {name!r} is already trusted; remove it first")
    client_id = secrets.token_urlsafe(24)
    rows.insert_client(conn, name, client_id, checked, tokens.now_us())
    return client_id


def distrust(conn: Connection, name: str) -> None:
    if not rows.delete_client(conn, name):
        raise NotFound(f"No trusted puller named {name!r}")


def list_trusted(conn: Connection) -> list[rows.ClientRow]:
    return rows.list_clients(conn)


class DatabaseReplays:
    """The replay store of ``assertions``: assertion ids in the database until they expire."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def remember(self, client_id: str, jti: str, expires_at: int) -> bool:
        return rows.remember_jti(self.conn, client_id, jti, expires_at, int(time.time()))


def issue_token(ctx: Context, form: dict[str, str], address: str | None) -> Issued | Refusal:
    """Validate a token request and grant a short-lived ``peer`` token, or audit why not."""
    conn = ctx.conn

    def lookup(client_id: str) -> RegisteredClient | None:
        found = rows.find_client(conn, client_id=client_id)
        return None if found is None else RegisteredClient(found.client_id, found.jwks)

    result = validate_token_request(form, token_url=smart.token_endpoint(ctx.base_url),
                                    clients=lookup, replays=DatabaseReplays(conn))
    if isinstance(result, Refusal):
        claimed = f" (client {result.client_id})" if result.client_id else ""
        ctx.trail.authentication_failed(address, f"token request refused{claimed}: "
                                                 f"{result.reason}")
        return result
    return _grant(conn, result)


def _grant(conn: Connection, grant: Grant) -> Issued:
    client = rows.find_client(conn, client_id=grant.client_id)
    assert client is not None  # the assertion was just verified against it
    plaintext = "tnr_" + secrets.token_urlsafe(tokens.TOKEN_BYTES)
    created = tokens.now_us()
    rows.prune_peer_tokens(conn, PEER_ROLE, created - PRUNE_AFTER_US)
    token_rows.insert_token(conn, token_hash=tokens.hash_token(plaintext),
                            name=f"peer:{client.name}", role=PEER_ROLE, binding=None,
                            created=created, scopes=" ".join(grant.scopes),
                            expires=created + smart.ACCESS_TOKEN_SECONDS * 1_000_000)
    return Issued(plaintext, grant.scopes, client.name)
