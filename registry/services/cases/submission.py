"""Submitting a case and telling the presenter what de-identification changed.

``submit_case`` is what the form endpoint (and any caller that wants the issues) uses: the
same write pipeline as ``POST /fhir/Bundle``, so the same transform step runs; it then reads
the notes the transform left on the batch. The notes name elements and kinds of
identifiers, never the values that were removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry.errors import InvalidRequest, Issue
from registry.services.cases.ingest import stored_note, subject_key_system
from registry.services.fhir import FhirService
from registry.services.writes.pending import PendingWrite, new_id
from registry.storage.rows import Stored


@dataclass(frozen=True)
class CaseReceipt:
    bundle: Stored
    composition: str  # Composition/ID
    subject_key: str | None
    issues: list[Issue]


def submit_case(service: FhirService, bundle: Any) -> CaseReceipt:
    """Store a case presentation (a document Bundle); 422 when it cannot be made safe."""
    if not isinstance(bundle, dict) or bundle.get("type") != "document":
        raise InvalidRequest("a case presentation is a FHIR Bundle of type document",
                             "Bundle.type")
    service.access.require_kind("Bundle", "create", "create")
    service.pipeline.prepare(bundle, "Bundle")
    result = service.write([PendingWrite("Bundle", new_id(), bundle, "POST", fresh=True,
                                         prepared=True)])
    stored = result.stored[0]
    composition = stored.resource()["entry"][0]["resource"]
    tags = (composition.get("meta") or {}).get("tag") or []
    key = next((t.get("code") for t in tags if t.get("system") == subject_key_system()), None)
    return CaseReceipt(stored, f"Composition/{composition['id']}", key,
                       [*result.notes, stored_note(composition["id"])])
