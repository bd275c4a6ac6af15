"""The end of every pipeline run: versions stamped, compartments derived, index rows
extracted, and all of it stored with one statement per table for a chunk of writes."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from registry.services.compartment import derive
from registry.services.context import Context
from registry.services.outcomes.facts import facts_of, has_facts
from registry.services.search.index import index_rows
from registry.services.writes.pending import PendingWrite
from registry.storage import resources as rows
from registry.storage.compartments import Compartment
from registry.storage.database import chunks, is_write
from registry.storage.outcomes import store_facts
from registry.storage.rows import RowWrite, Stored
from registry.storage.values import instant

# Writes stored per round of statements: a 1,000-entry transaction's rows built in one go
# would set the worker's memory peak, which its heap then keeps.
WRITES_PER_STATEMENT = 200


def persist(ctx: Context, writes: Sequence[PendingWrite]) -> list[Stored]:
    """Store ``writes`` as new versions, in the caller's write transaction."""
    if not is_write(ctx.conn):
        raise RuntimeError("persist() needs a write transaction")
    stamp = rows.clock(ctx.conn)
    stored = [_stamped(w, stamp) for w in writes]
    compartments = _compartments(ctx, writes)
    search_parameters = ctx.node.search_parameters
    for part in chunks(range(len(writes)), WRITES_PER_STATEMENT):
        pks = rows.write_rows(ctx.conn, [
            RowWrite(w.res_type, w.res_id, w.current, stored[i],
                     {} if w.resource is None else index_rows(
                         w.resource, search_parameters, ctx.base_url),
                     compartments[i])
            for i in part for w in [writes[i]]])
        _store_facts(ctx, [writes[i] for i in part], pks)
    return stored


def _store_facts(ctx: Context, writes: Sequence[PendingWrite], pks: list[int]) -> None:
    """The outcome facts of the writes whose type has any (old ones replaced)."""
    facts = [(pk, facts_of(w.resource), w.current is not None)
             for w, pk in zip(writes, pks, strict=True) if has_facts(w.res_type)]
    if facts:
        store_facts(ctx.conn, facts)


def _compartments(ctx: Context, writes: Sequence[PendingWrite]) -> list[Compartment | None]:
    """What the authorize step derived, and the compartments of the writes steps added later
    (a case's parts, the batch's AuditEvent), derived knowing the others."""
    missing = [w for w in writes if not w.compartment_known]
    if missing:
        known = {(w.res_type, w.res_id): w.compartment for w in writes
                 if w.compartment_known and w.compartment is not None}
        for write, found in zip(missing, derive(ctx.conn, ctx.base_url, missing, known),
                                strict=True):
            write.compartment, write.compartment_known = found, True
    return [w.compartment for w in writes]


def _stamped(w: PendingWrite, stamp: int) -> Stored:
    """The version ``w`` becomes: its number, time and text with ``meta`` filled in."""
    content = None
    if w.resource is not None:
        body = w.resource
        body["id"] = w.res_id
        meta = dict(body.get("meta") or {})
        meta["versionId"] = str(w.next_version)
        meta["lastUpdated"] = instant(stamp)
        body["meta"] = meta
        content = orjson.dumps(body).decode()
    created = w.current is None or w.current.deleted
    return Stored(w.res_type, w.res_id, w.next_version, stamp, w.resource is None, content,
                  w.method, created)
