"""A small write on PostgreSQL in one statement: current, version, index and compartment rows.

A single create or update (and the AuditEvent written with it) would otherwise take one
statement per table, each a round trip and a pass through the driver. Here the batch travels as
JSON documents, one for the writes and one per kind of index row, expanded by
``json_to_recordset``/``json_populate_recordset`` inside one statement whose data-modifying
``WITH`` parts insert the new current rows, update the replaced ones, and write the version,
index and compartment rows. Rows of a new resource do not know its key yet: they carry the
write's position in the batch, joined to the key its current row was given.

All parts run on one snapshot, which is why this is correct: the replaced resources' old index
rows are deleted and their new ones inserted by different parts, and the DELETE sees only the
rows that existed before the statement, never the ones it inserts. Large writes (transaction
Bundles) keep a statement per table, sent in slices (``registry.storage.resources``): their
documents would set a worker's memory peak.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registry.storage.rows import RowWrite
from registry.storage.tables import INDEX_TABLES, resource, resource_compartment, resource_version

# The writes document: one object per write, its position ``i`` first.
WRITE_FIELDS = (("i", "integer"), ("pk", "bigint"), ("res_type", "varchar"),
                ("res_id", "varchar"), ("version", "integer"), ("last_updated", "bigint"),
                ("deleted", "boolean"), ("content", "text"), ("method", "varchar"),
                ("peer_view", "smallint"), ("has_compartment", "boolean"), ("hub", "varchar"),
                ("spoke", "varchar"), ("country", "varchar"), ("published", "boolean"))


def write_small(conn: Connection, writes: Sequence[RowWrite], peer_views: Sequence[int]
                ) -> list[int]:
    """Store ``writes`` (``peer_views`` as ``resources.peer_view`` gave them) in one
    statement; returns the pk of each write's current row, in order."""
    documents: dict[str, list[dict[str, Any]]] = {}
    for i, w in enumerate(writes):
        for kind, rows in w.index.items():
            documents.setdefault(kind, []).extend({**row, "resource_pk": i} for row in rows)
    kinds = tuple(sorted(kind for kind, rows in documents.items() if rows))
    replaced = [w.current.pk for w in writes if w.current is not None]
    params: dict[str, Any] = {f"idx_{kind}": orjson.dumps(documents[kind]).decode()
                              for kind in kinds}
    if replaced:
        params["pks"] = replaced
    params["writes"] = orjson.dumps([_write(i, w, view) for i, (w, view)
                                     in enumerate(zip(writes, peer_views, strict=True))]
                                    ).decode()
    return list(conn.execute(_statement(kinds, bool(replaced)), params).scalars())


def _write(i: int, w: RowWrite, peer_view: int) -> dict[str, Any]:
    c = w.compartment
    return {"i": i, "pk": None if w.current is None else w.current.pk,
            "res_type": w.res_type, "res_id": w.res_id, "version": w.stored.version,
            "last_updated": w.stored.last_updated, "deleted": w.stored.deleted,
            "content": w.stored.content, "method": w.stored.method, "peer_view": peer_view,
            "has_compartment": c is not None, "hub": c and c.hub, "spoke": c and c.spoke,
            "country": c and c.country, "published": c is not None and c.published}


@functools.cache
def _statement(kinds: tuple[str, ...], replacing: bool) -> sa.TextClause:
    """The statement for a batch with index rows of ``kinds``; ``replacing`` when it replaces
    any current row (whose old index rows go)."""
    fields = ", ".join(f"{name} {kind}" for name, kind in WRITE_FIELDS)
    r, rv, rc = resource.name, resource_version.name, resource_compartment.name
    parts = [
        f"w AS (SELECT * FROM json_to_recordset(CAST(:writes AS json)) AS w({fields}))",
        f"new AS (INSERT INTO {r} (res_type, res_id, version, last_updated, deleted, content) "
        "SELECT res_type, res_id, version, last_updated, deleted, content FROM w "
        "WHERE pk IS NULL ORDER BY i RETURNING pk, res_type, res_id)",
        "keys AS (SELECT w.i, coalesce(w.pk, new.pk) AS pk FROM w LEFT JOIN new "
        "ON w.pk IS NULL AND new.res_type = w.res_type AND new.res_id = w.res_id)",
        f"v AS (INSERT INTO {rv} (resource_pk, res_type, res_id, version, last_updated, method, "
        "content, peer_view) SELECT keys.pk, w.res_type, w.res_id, w.version, w.last_updated, "
        "w.method, w.content, w.peer_view FROM w JOIN keys USING (i) ORDER BY w.i)",
        f"c AS (INSERT INTO {rc} (resource_pk, hub, spoke, country, published) "
        "SELECT keys.pk, w.hub, w.spoke, w.country, w.published FROM w JOIN keys USING (i) "
        "WHERE w.has_compartment ON CONFLICT (resource_pk) DO UPDATE SET hub = excluded.hub, "
        "spoke = excluded.spoke, country = excluded.country, published = excluded.published)"]
    if replacing:  # by an array of keys, which the planner looks up in the key indexes
        parts.append(f"u AS (UPDATE {r} SET version = w.version, last_updated = w.last_updated, "
                     f"deleted = w.deleted, content = w.content FROM w "
                     f"WHERE {r}.pk = ANY(:pks) AND {r}.pk = w.pk)")
        parts += [f"d_{kind} AS (DELETE FROM {table.name} WHERE resource_pk = ANY(:pks))"
                  for kind, table in INDEX_TABLES.items()]
    for kind in kinds:
        table = INDEX_TABLES[kind]
        names = [c.name for c in table.c]
        values = ", ".join("keys.pk" if n == "resource_pk" else f"x.{n}" for n in names)
        parts.append(f"i_{kind} AS (INSERT INTO {table.name} ({', '.join(names)}) "
                     f"SELECT {values} FROM json_populate_recordset(NULL::{table.name}, "
                     f"CAST(:idx_{kind} AS json)) AS x JOIN keys ON keys.i = x.resource_pk)")
    statement = sa.text(f"WITH {', '.join(parts)} SELECT pk FROM keys ORDER BY i")
    if replacing:
        statement = statement.bindparams(sa.bindparam("pks", type_=sa.ARRAY(sa.BigInteger)))
    return statement
