"""The rows of the resource store: current versions, every version, index and compartment rows.

A write batch is stored with one statement per table (executemany), so a 1,000-entry
transaction costs a handful of round trips. Callers own the transaction (see
``registry.storage.database.transaction``); nothing here commits.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registry.storage.compartments import store_compartments
from registry.storage.database import DIALECTS, chunks, is_write, one_of, scratch
from registry.storage.rows import Current, RowWrite, Stored
from registry.storage.small_write import write_small
from registry.storage.tables import INDEX_TABLES, resource, resource_version
from registry.storage.tables import resource_compartment as rc_table

# Index rows of one kind sent per INSERT: a 1,000-entry transaction has ~20,000 of them.
INDEX_ROWS_PER_STATEMENT = 1_000
r, rv = resource.c, resource_version.c
READ_CURRENT = (
    sa.select(r.version, r.last_updated, r.deleted, r.content)
    .where(r.res_type == sa.bindparam("res_type"), r.res_id == sa.bindparam("res_id")))
READ_MANY = {
    dialect: sa.select(r.res_id, r.version, r.last_updated, r.content)
    .where(r.res_type == sa.bindparam("res_type"), one_of(r.res_id, "ids", dialect),
           r.deleted.is_(False))
    for dialect in DIALECTS}
READ_VERSION = (
    sa.select(rv.version, rv.last_updated, rv.method, rv.content)
    .where(rv.res_type == sa.bindparam("res_type"), rv.res_id == sa.bindparam("res_id"),
           rv.version == sa.bindparam("version")))


# ---- reads -------------------------------------------------------------------------------


def read_current(conn: Connection, res_type: str, res_id: str) -> Stored | None:
    """The current version (a tombstone too), or None when the resource never existed."""
    row = conn.execute(READ_CURRENT, {"res_type": res_type, "res_id": res_id}).first()
    return None if row is None else Stored(res_type, res_id, *row)


def read_version(conn: Connection, res_type: str, res_id: str, version: int) -> Stored | None:
    row = conn.execute(READ_VERSION, {"res_type": res_type, "res_id": res_id,
                                      "version": version}).first()
    if row is None:
        return None
    number, last_updated, method, content = row
    return Stored(res_type, res_id, number, last_updated, method == "DELETE", content, method)


def read_many(conn: Connection, keys: Iterable[tuple[str, str]]) -> list[Stored]:
    """Current, non-deleted versions of the given (type, id) pairs, in no particular order."""
    wanted = sorted(set(keys))
    found: list[Stored] = []
    for res_type in sorted({t for t, _ in wanted}):
        ids = [i for t, i in wanted if t == res_type]
        for chunk in chunks(ids):
            rows = conn.execute(READ_MANY[conn.dialect.name],
                                {"res_type": res_type, "ids": list(chunk)}).all()
            found.extend(Stored(res_type, res_id, version, last_updated, False, content)
                         for res_id, version, last_updated, content in rows)
    return found


def current_rows(conn: Connection, res_type: str, ids: Sequence[str]) -> dict[str, Current]:
    """pk, version and deleted flag of the given ids (for writes and conditionals). In a write
    transaction on PostgreSQL the rows are locked until it ends (in key order, so two writers
    of the same resources cannot deadlock): concurrent writers of one resource take turns,
    and each sees the version the other wrote."""
    found: dict[str, Current] = {}
    lock = is_write(conn) and conn.dialect.name == "postgresql"
    for chunk in chunks(sorted(set(ids))):
        select = (sa.select(r.res_id, r.pk, r.version, r.deleted, rc_table.c.published)
                  .select_from(resource.outerjoin(rc_table, rc_table.c.resource_pk == r.pk))
                  .where(r.res_type == res_type, r.res_id.in_(chunk)))
        rows = conn.execute(select.order_by(r.pk).with_for_update(of=resource) if lock
                            else select)
        found.update({row.res_id: Current(row.pk, row.version, row.deleted,
                                          bool(row.published)) for row in rows})
    return found


def pks_of(conn: Connection, keys: Sequence[tuple[str, str]]) -> list[int]:
    rows = conn.execute(sa.select(r.pk).where(sa.tuple_(r.res_type, r.res_id).in_(keys)))
    return [row.pk for row in rows]


def is_empty(conn: Connection, ignoring: Iterable[str] = ()) -> bool:
    """No resource stored, apart from those of the ``ignoring`` types."""
    query = sa.select(r.pk).limit(1)
    if ignoring:
        query = query.where(r.res_type.not_in(list(ignoring)))
    return conn.execute(query).first() is None


def current_resources(conn: Connection) -> list[tuple[int, str, str, int, str]]:
    """(pk, type, id, version, content) of every current, non-deleted resource."""
    rows = conn.execute(sa.select(r.pk, r.res_type, r.res_id, r.version, r.content)
                        .where(r.deleted.is_(False)).order_by(r.pk))
    return [tuple(row) for row in rows]


def current_of_types(conn: Connection, res_types: Sequence[str]) -> list[tuple[str, str, str]]:
    """(type, id, content) of every current, non-deleted resource of ``res_types``."""
    rows = conn.execute(sa.select(r.res_type, r.res_id, r.content)
                        .where(r.deleted.is_(False), r.res_type.in_(list(res_types)))
                        .order_by(r.pk))
    return [(row.res_type, row.res_id, row.content) for row in rows]


# ---- writes ------------------------------------------------------------------------------


def _delete_index_rows(conn: Connection, pks: list[int]) -> None:
    """Drop the index rows of the resources ``pks``: one statement on PostgreSQL (a chain of
    DELETEs in one WITH, one round trip instead of one per index table), one per table on
    SQLite (in process: no round trip to save, and no DELETE inside WITH)."""
    if conn.dialect.name != "postgresql":
        for table in INDEX_TABLES.values():
            conn.execute(table.delete().where(table.c.resource_pk.in_(pks)))
        return
    conn.execute(DELETE_INDEX_ROWS, {"pks": pks})


def _delete_all_index_rows() -> sa.TextClause:
    parts = [f"d_{kind} AS (DELETE FROM {table.name} WHERE resource_pk = ANY(:pks))"
             for kind, table in INDEX_TABLES.items()]
    return sa.text(f"WITH {', '.join(parts)} SELECT 1").bindparams(
        sa.bindparam("pks", type_=sa.ARRAY(sa.BigInteger)))


DELETE_INDEX_ROWS = _delete_all_index_rows()  # built once


WRITE_STAMP = sa.text("SELECT registry_write_stamp()")


def clock(conn: Connection) -> int:
    """The transaction's time (its versions' lastUpdated): one per transaction, shared by every
    write on its connection, and strictly after every version of a transaction that took its
    time before. On PostgreSQL ``registry_write_stamp()`` gives it and registers the
    transaction as in flight until it ends (``registry.storage.history``); SQLite's single
    writer takes it under its write lock."""
    held: int | None = scratch(conn).get("clock")
    if held:
        return held
    if conn.dialect.name == "postgresql":
        stamp = int(conn.execute(WRITE_STAMP).scalar_one())
    else:
        latest = conn.execute(sa.select(sa.func.max(rv.last_updated))).scalar() or 0
        stamp = max(time.time_ns() // 1000, latest + 1)
    scratch(conn)["clock"] = stamp
    return stamp


def write_rows(conn: Connection, writes: Sequence[RowWrite]) -> list[int]:
    """Store ``writes``: current, version, index and compartment rows; returns their pks. A
    small write on PostgreSQL is one statement (``registry.storage.small_write``); anything
    else one statement per table."""
    views = [peer_view(w, w.current is not None and w.current.published
                       and not w.current.deleted) for w in writes]
    if conn.dialect.name == "postgresql" and len(writes) <= SMALL_WRITE:
        return write_small(conn, writes, views)
    pks = _write_current(conn, writes)
    conn.execute(resource_version.insert(), [
        {"resource_pk": pk, "res_type": w.res_type, "res_id": w.res_id,
         "version": w.stored.version, "last_updated": w.stored.last_updated,
         "method": w.stored.method, "content": w.stored.content, "peer_view": view}
        for w, pk, view in zip(writes, pks, views, strict=True)])
    _write_index(conn, writes, pks)
    store_compartments(conn, [(pk, w.compartment, w.current is not None)
                              for w, pk in zip(writes, pks, strict=True)])
    return pks


PEER_HIDDEN, PEER_VERSION, PEER_WITHDRAWAL = 0, 1, 2


def peer_view(write: RowWrite, published_before: bool) -> int:
    """What a caller who sees only published records sees of this version (the withdrawal
    rule of ``registry.services.federation.withdrawal``, stored with the version)."""
    published_after = not write.stored.deleted and (
        write.compartment.published if write.compartment is not None else published_before)
    if published_after:
        return PEER_VERSION
    return PEER_WITHDRAWAL if published_before else PEER_HIDDEN


def _write_current(conn: Connection, writes: Sequence[RowWrite]) -> list[int]:
    new_rows, updates, pks = [], [], [0] * len(writes)
    for i, w in enumerate(writes):
        row = {"version": w.stored.version, "last_updated": w.stored.last_updated,
               "deleted": w.stored.deleted, "content": w.stored.content}
        if w.current is None:
            new_rows.append((i, {"res_type": w.res_type, "res_id": w.res_id, **row}))
        else:
            pks[i] = w.current.pk
            updates.append({"b_pk": w.current.pk, **row})
    if new_rows:
        result = conn.execute(resource.insert().returning(r.pk, sort_by_parameter_order=True),
                              [row for _, row in new_rows])
        for (i, _), pk in zip(new_rows, result.scalars(), strict=True):
            pks[i] = pk
    if updates:
        conn.execute(resource.update().where(r.pk == sa.bindparam("b_pk")), updates)
    return pks


def _write_index(conn: Connection, writes: Sequence[RowWrite], pks: list[int]) -> None:
    replaced = [pk for w, pk in zip(writes, pks, strict=True) if w.current is not None]
    for chunk in chunks(replaced):
        _delete_index_rows(conn, list(chunk))
    batches: dict[str, list[dict[str, Any]]] = {}
    for w, pk in zip(writes, pks, strict=True):
        for kind, kind_rows in w.index.items():
            batch = batches.setdefault(kind, [])
            batch.extend({"resource_pk": pk, **row} for row in kind_rows)
            if len(batch) >= INDEX_ROWS_PER_STATEMENT:
                conn.execute(INDEX_TABLES[kind].insert(), batch)
                batch.clear()
    for kind, kind_batch in batches.items():
        if kind_batch:
            conn.execute(INDEX_TABLES[kind].insert(), kind_batch)


SMALL_WRITE = 8  # writes per batch stored in one statement on PostgreSQL
