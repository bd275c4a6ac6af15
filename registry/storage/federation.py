"""Federation tables: trusted pullers, assertion ids seen, peers pulled from, sync errors,
duplicates dropped on review, and the look-up of records by identifier key."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from registry.storage.database import chunks
from registry.storage.resources import clock
from registry.storage.rows import Stored
from registry.storage.tables import (
    access_token,
    assertion_jti,
    dropped_duplicate,
    federation_client,
    federation_peer,
    identifier_key_sql,
    idx_string,
    idx_token,
    resource,
    sync_error,
)
from registry.storage.values import fold

c, j, p, e = federation_client.c, assertion_jti.c, federation_peer.c, sync_error.c
d = dropped_duplicate.c


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


# ---- duplicates dropped on review ------------------------------------------------------


def set_dropped(conn: Connection, pair: str, dropped: tuple[str, str] | None,
                kept: tuple[str, str] | None) -> bool:
    """Record what a review decided for ``pair``: ``dropped`` hidden while ``kept`` is live, or
    (both None) nothing hidden. False when either record is not stored."""
    conn.execute(dropped_duplicate.delete().where(d.pair == pair))
    if dropped is None or kept is None:
        return True
    rows = conn.execute(sa.select(resource.c.res_type, resource.c.res_id, resource.c.pk)
                        .where(sa.tuple_(resource.c.res_type, resource.c.res_id)
                               .in_([dropped, kept])))
    pks: dict[tuple[str, str], int] = {(row[0], row[1]): row[2] for row in rows}
    if dropped not in pks or kept not in pks:
        return False
    conn.execute(dropped_duplicate.insert().values(resource_pk=pks[dropped],
                                                   kept_pk=pks[kept], pair=pair))
    return True


def not_dropped(pk: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """SQL: the resource ``pk`` is not a dropped duplicate whose kept copy is live (searches
    leave those out; once the kept copy is deleted, the dropped one shows again)."""
    kept = resource.alias("kept")
    hidden = sa.select(d.resource_pk).where(kept.c.pk == d.kept_pk, kept.c.deleted.is_(False))
    # NOT IN, not NOT EXISTS: a filter evaluated once per statement (a hashed subplan on
    # PostgreSQL), so the planner keeps the plan it chose for the search's own criteria
    return pk.not_in(hidden)


def dropped_hidden(conn: Connection) -> list[tuple[str, str]]:
    """(type, id) of the dropped copies hidden now."""
    kept = resource.alias("kept")
    dropped = resource.alias("dropped")
    rows = conn.execute(sa.select(dropped.c.res_type, dropped.c.res_id)
                        .where(dropped.c.pk == d.resource_pk, kept.c.pk == d.kept_pk,
                               kept.c.deleted.is_(False)).order_by(dropped.c.pk))
    return [(row[0], row[1]) for row in rows]


# ---- records by identifier key ---------------------------------------------------------


def by_identifier_key(conn: Connection, res_type: str, wanted: Iterable[tuple[str, str]]
                      ) -> list[tuple[str, str]]:
    """(id, content) of live ``res_type`` records with an identifier of one of the wanted
    ``(system, key)`` pairs, the key compared as ``identifier_key`` (separators and case
    ignored), the system with or without a final ``/``."""
    t = idx_token.c
    key = identifier_key_sql(cast(sa.ColumnElement[str], t.code))
    found: dict[str, str] = {}
    by_system: dict[str, set[str]] = {}
    for system, value in wanted:
        by_system.setdefault(system.rstrip("/"), set()).add(value)
    for system, keys in by_system.items():
        for chunk in chunks(sorted(keys)):
            rows = conn.execute(
                sa.select(resource.c.res_id, resource.c.content)
                .join(idx_token, t.resource_pk == resource.c.pk)
                .where(t.res_type == res_type, t.param == "identifier", key.in_(chunk),
                       t.system.in_([system, system + "/"]), resource.c.deleted.is_(False)))
            found.update({row[0]: row[1] for row in rows})
    return sorted(found.items())


def relayed_held(conn: Connection, types: Sequence[str], system: str, peer: str | None
                 ) -> list[tuple[str, str]]:
    """(type, id) of every live record of ``types`` tagged ``system|peer`` (what a peer
    relayed from other origins; ``peer`` None: what any peer relayed)."""
    t = idx_token.c
    by_peer = [] if peer is None else [t.code == peer]
    rows = conn.execute(sa.select(resource.c.res_type, resource.c.res_id)
                        .join(idx_token, t.resource_pk == resource.c.pk)
                        .where(t.res_type.in_(list(types)), t.param == "_tag", *by_peer,
                               t.system == system, resource.c.deleted.is_(False))
                        .order_by(resource.c.res_type, resource.c.res_id))
    return [(row[0], row[1]) for row in rows]


def read_currents(conn: Connection, keys: Iterable[tuple[str, str]]
                  ) -> dict[tuple[str, str], Stored]:
    """The current version of each (type, id) stored, tombstones included: what a sync page
    needs to know of the records it may write, in one statement per type."""
    r = resource.c
    wanted = sorted(set(keys))
    found: dict[tuple[str, str], Stored] = {}
    for res_type in sorted({t for t, _ in wanted}):
        for chunk in chunks([i for t, i in wanted if t == res_type]):
            rows = conn.execute(sa.select(r.res_id, r.version, r.last_updated, r.deleted,
                                          r.content)
                                .where(r.res_type == res_type, r.res_id.in_(list(chunk))))
            found.update({(res_type, row[0]): Stored(res_type, *row) for row in rows})
    return found


def by_name(conn: Connection, res_type: str, names: Iterable[str]) -> list[tuple[str, str]]:
    """(id, content) of live ``res_type`` records whose ``name`` is one of ``names`` once
    folded (case, accents and spacing ignored): equality in the index, never a prefix, so a
    short name does not bring every longer one that starts with it."""
    s = idx_string.c
    found: dict[str, str] = {}
    for chunk in chunks(sorted({fold(name) for name in names})):
        rows = conn.execute(
            sa.select(resource.c.res_id, resource.c.content)
            .join(idx_string, s.resource_pk == resource.c.pk)
            .where(s.res_type == res_type, s.param == "name", s.value.in_(list(chunk)),
                   resource.c.deleted.is_(False)))
        found.update({row[0]: row[1] for row in rows})
    return sorted(found.items())
