"""Bulk, idempotent loading of resources with client-chosen ids (demo network, fixtures).

Resources go through the same ``prepare`` checks and the same ``persist`` path as API writes,
a batch per call. A resource whose content is unchanged is skipped, so loading twice writes
nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registry.services.context import Node
from registry.services.store import PendingWrite, ResourceStore
from registry.storage.tables import resource

SERVER_META = ("versionId", "lastUpdated")


@dataclass
class LoadReport:
    written: int = 0
    unchanged: int = 0


def batches(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_batch(conn: Connection, node: Node, batch: list[dict[str, Any]],
               report: LoadReport) -> None:
    """Upsert one batch by id in the caller's write transaction."""
    store = ResourceStore(conn, node)
    for item in batch:
        store.pending[f"{item['resourceType']}/{item['id']}"] = item
    writes = []
    for item in batch:
        res_type = store.prepare(item)
        writes.append(PendingWrite(res_type, item["id"], item, "PUT"))
    stored = {(s.res_type, s.res_id): s.resource()
              for s in store.read_many((w.res_type, w.res_id) for w in writes)}
    changed = [w for w in writes
               if _comparable(stored.get((w.res_type, w.res_id), {})) != _comparable(
                   w.resource or {})]
    report.unchanged += len(writes) - len(changed)
    if changed:
        store.persist(changed)
        report.written += len(changed)


def _comparable(item: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in (item.get("meta") or {}).items() if k not in SERVER_META}
    return {**item, "meta": meta} if meta else {k: v for k, v in item.items() if k != "meta"}


def is_empty(conn: Connection) -> bool:
    return conn.execute(sa.select(resource.c.pk).limit(1)).first() is None
