"""The bearer-token table: hashes, roles and bindings, never a token itself."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registry.storage.tables import access_token

t = access_token.c


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str
    role: str
    binding: str | None
    created: int
    expires: int | None
    revoked: int | None
    scopes: str | None = None  # SMART system scopes, space-separated (token endpoint only)


def insert_token(conn: Connection, *, token_hash: str, name: str, role: str,
                 binding: str | None, created: int, expires: int | None,
                 scopes: str | None = None) -> int:
    result = conn.execute(access_token.insert().returning(t.pk), {
        "token_hash": token_hash, "name": name, "role": role, "binding": binding,
        "created": created, "expires": expires, "scopes": scopes})
    return int(result.scalar_one())


def find_token(conn: Connection, token_hash: str) -> TokenRow | None:
    row = conn.execute(sa.select(t.pk, t.name, t.role, t.binding, t.created, t.expires,
                                 t.revoked, t.scopes).where(t.token_hash == token_hash)).first()
    return None if row is None else TokenRow(*row)


def list_tokens(conn: Connection) -> list[TokenRow]:
    rows = conn.execute(sa.select(t.pk, t.name, t.role, t.binding, t.created, t.expires,
                                  t.revoked, t.scopes).order_by(t.pk))
    return [TokenRow(*row) for row in rows]


def revoke_token(conn: Connection, token_id: int, when: int) -> bool:
    """Revoke an active token; False when there is no active token with that id."""
    result = conn.execute(access_token.update().where(t.pk == token_id, t.revoked.is_(None))
                          .values(revoked=when))
    return bool(result.rowcount)
