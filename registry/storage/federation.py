"""Federation tables: trusted pullers, assertion ids seen, peers pulled from, sync errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from registry.storage.resources import clock
from registry.storage.tables import (
    access_token,
    assertion_jti,
    federation_client,
    federation_peer,
    resource,
    sync_error,
)

c, j, p, e = federation_client.c, assertion_jti.c, federation_peer.c, sync_error.c


@dataclass(frozen=True)
class ClientRow:
    name: str
    client_id: str
    jwks: dict[str, Any]
    created: int


@dataclass(frozen=True)
class PeerRow:
    name: str
    base: str
    client_id: str | None
    token: str | None
    cursor: str | None
    last_success: int | None
    last_error: str | None


@dataclass(frozen=True)
class ErrorRow:
    peer: str
    stage: str
    remote: str | None
    reason: str
    at: int


# ---- trusted pullers --------------------------------------------------------------------


def insert_client(conn: Connection, name: str, client_id: str, jwks: dict[str, Any],
                  created: int) -> None:
    conn.execute(federation_client.insert().values(
        name=name, client_id=client_id, jwks=json.dumps(jwks), created=created))


def find_client(conn: Connection, *, client_id: str | None = None,
                name: str | None = None) -> ClientRow | None:
    where = c.client_id == client_id if client_id is not None else c.name == name
    row = conn.execute(sa.select(c.name, c.client_id, c.jwks, c.created).where(where)).first()
    return None if row is None else ClientRow(row[0], row[1], json.loads(row[2]), row[3])


def list_clients(conn: Connection) -> list[ClientRow]:
    rows = conn.execute(sa.select(c.name, c.client_id, c.jwks, c.created).order_by(c.name))
    return [ClientRow(r[0], r[1], json.loads(r[2]), r[3]) for r in rows]


def delete_client(conn: Connection, name: str) -> bool:
    return bool(conn.execute(federation_client.delete().where(c.name == name)).rowcount)


def remember_jti(conn: Connection, client_id: str, jti: str, expires: int, now: int) -> bool:
    """Record an assertion id; False when the client already used it (and it is unexpired)."""
    conn.execute(assertion_jti.delete().where(j.expires < now))
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(assertion_jti).values(
        client_id=client_id, jti=jti, expires=expires).on_conflict_do_nothing().returning(j.jti)
    return conn.execute(statement).first() is not None  # rowcount is unreliable here


# ---- peers pulled from ------------------------------------------------------------------

PEER_COLUMNS = (p.name, p.base, p.client_id, p.token, p.cursor, p.last_success, p.last_error)


def insert_peer(conn: Connection, name: str, base: str, client_id: str | None,
                token: str | None, created: int) -> None:
    conn.execute(federation_peer.insert().values(name=name, base=base, client_id=client_id,
                                                 token=token, created=created))


def find_peer(conn: Connection, name: str) -> PeerRow | None:
    row = conn.execute(sa.select(*PEER_COLUMNS).where(p.name == name)).first()
    return None if row is None else PeerRow(*row)


def list_peers(conn: Connection) -> list[PeerRow]:
    return [PeerRow(*row) for row in conn.execute(sa.select(*PEER_COLUMNS).order_by(p.name))]


def delete_peer(conn: Connection, name: str) -> bool:
    conn.execute(sync_error.delete().where(e.peer == name))
    return bool(conn.execute(federation_peer.delete().where(p.name == name)).rowcount)


def advance_peer(conn: Connection, name: str, cursor: str | None, when: int) -> None:
    """A page applied: the cursor moves to the peer's mark, the last error is cleared."""
    values: dict[str, Any] = {"last_success": when, "last_error": None}
    if cursor is not None:
        values["cursor"] = cursor
    conn.execute(federation_peer.update().where(p.name == name).values(**values))


def fail_peer(conn: Connection, name: str, reason: str) -> None:
    conn.execute(federation_peer.update().where(p.name == name).values(last_error=reason))


# ---- sync errors ------------------------------------------------------------------------


def insert_error(conn: Connection, peer: str, stage: str, remote: str | None, reason: str,
                 at: int) -> None:
    conn.execute(sync_error.insert().values(peer=peer, stage=stage, remote=remote,
                                            reason=reason, at=at))


def list_errors(conn: Connection, peer: str, limit: int = 100) -> list[ErrorRow]:
    rows = conn.execute(sa.select(e.peer, e.stage, e.remote, e.reason, e.at)
                        .where(e.peer == peer).order_by(e.pk.desc()).limit(limit))
    return [ErrorRow(*row) for row in rows]


def count_errors(conn: Connection, peer: str) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(sync_error)
                            .where(e.peer == peer)).scalar_one())


# ---- one page of a sync -----------------------------------------------------------------


def begin_page(conn: Connection) -> None:
    """Take the transaction's write time before any savepoint, so rolling one back never
    drops the time (and, on PostgreSQL, its in-flight registration) later writes share."""
    clock(conn)


def page_time(conn: Connection) -> int:
    """The page's write time (every version it writes has it)."""
    return clock(conn)


@contextmanager
def savepoint(conn: Connection) -> Iterator[None]:
    """A nested transaction: rolled back alone when the block raises, the page goes on."""
    with conn.begin_nested():
        yield


def mirrors_held(conn: Connection, tag: str) -> list[tuple[str, str]]:
    """(type, id) of every live record whose id has the mirror form of one origin's tag."""
    r = resource.c
    rows = conn.execute(sa.select(r.res_type, r.res_id).where(
        r.deleted.is_(False), r.res_id.like(f"{tag}.%") | r.res_id.like(f"{tag}-%"))
        .order_by(r.res_type, r.res_id))
    return [(row[0], row[1]) for row in rows]


def prune_peer_tokens(conn: Connection, role: str, before: int) -> None:
    """Drop the short-lived tokens of a role that expired before ``before`` (the token
    endpoint issues one per puller every few minutes; expired, they are only clutter)."""
    t = access_token.c
    conn.execute(access_token.delete().where(t.role == role, t.expires.is_not(None),
                                             t.expires < before))
