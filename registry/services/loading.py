"""Bulk, idempotent loading of resources with client-chosen ids (demo network, fixtures).

Resources go through the same write pipeline as API writes, a batch per call. A resource
whose content is unchanged is skipped, so loading twice writes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from registry.services.fhir import FhirService
from registry.services.writes.pending import PendingWrite
from registry.storage import resources
from registry.storage.database import Connection

SERVER_META = ("versionId", "lastUpdated")
CONFORMANCE_TYPES = ("CodeSystem", "ValueSet", "StructureDefinition", "SearchParameter",
                     "Measure")


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


def load_batch(service: FhirService, batch: list[dict[str, Any]], report: LoadReport) -> None:
    """Upsert one batch by id, through the write pipeline, in the caller's transaction."""
    resources_ = service.ctx.resources
    for item in batch:
        resources_.pending[f"{item['resourceType']}/{item['id']}"] = item
    writes = []
    for item in batch:
        res_type = service.pipeline.prepare(item)
        writes.append(PendingWrite(res_type, item["id"], item, "PUT", prepared=True))
    stored = {(s.res_type, s.res_id): s.resource()
              for s in resources_.read_many((w.res_type, w.res_id) for w in writes)}
    changed = [w for w in writes
               if _comparable(stored.get((w.res_type, w.res_id), {})) != _comparable(
                   w.resource or {})]
    report.unchanged += len(writes) - len(changed)
    if changed:
        service.write(changed)
        report.written += len(changed)


def _comparable(item: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in (item.get("meta") or {}).items() if k not in SERVER_META}
    return {**item, "meta": meta} if meta else {k: v for k, v in item.items() if k != "meta"}


def is_empty(conn: Connection) -> bool:
    """Whether the store holds no data: the conformance resources every database gets on
    ``registry db upgrade``, and the AuditEvents of storing them, do not count."""
    return resources.is_empty(conn, ignoring=(*CONFORMANCE_TYPES, "AuditEvent"))
