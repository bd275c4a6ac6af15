"""The conformance resources the server runs on, stored as read-only FHIR resources.

CodeSystems and ValueSets (``schemas/terminology``), profiles and extension definitions
(``schemas/profiles``, ``schemas/measures/conformance``), the network's indicators (Measures,
``schemas/measures``) and SearchParameters (``schemas/searchparameters``) are files the server
reads at start; a FHIR client looks for them as resources (``ValueSet?url=...``,
``Measure/[id]``), so ``registry db upgrade`` stores copies. The files
stay the source of truth: a load brings the stored copies in line with the files (new and
changed ones written, ones no longer shipped deleted) as the node itself, the only caller the
policy lets write them. ``$expand`` and ``$lookup`` keep answering from the files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources as package_files
from importlib.resources.abc import Traversable
from typing import Any

from registry.services.fhir import FhirService
from registry.services.loading import CONFORMANCE_TYPES, LoadReport, batches, load_batch

TYPES = CONFORMANCE_TYPES
FOLDERS = ("terminology", "profiles", "measures", "measures/conformance")  # one resource per file
SEARCH_PARAMETERS = "searchparameters"  # Bundles of SearchParameters
BATCH = 200


@dataclass
class ConformanceReport(LoadReport):
    """What a load changed: ``written``, ``unchanged`` and ``deleted`` resources."""

    deleted: int = 0


def shipped() -> list[dict[str, Any]]:
    """Every conformance resource under ``schemas/``, in a stable order."""
    root = package_files.files("schemas")
    found = [json.loads(f.read_text(encoding="utf-8")) for name in FOLDERS
             for f in _json_files(_folder(root, name)) if f.name.split("-")[0] in TYPES]
    for bundle_file in _json_files(_folder(root, SEARCH_PARAMETERS)):
        bundle = json.loads(bundle_file.read_text(encoding="utf-8"))
        found.extend(e["resource"] for e in bundle.get("entry") or []
                     if (e.get("resource") or {}).get("resourceType") == "SearchParameter")
    return found


def load_conformance(service: FhirService) -> ConformanceReport:
    """Store the shipped conformance resources; idempotent (a second load writes nothing)."""
    report = ConformanceReport()
    resources = shipped()
    for chunk in batches(resources, BATCH):
        load_batch(service, chunk, report)
    keep = {(r["resourceType"], r["id"]) for r in resources}
    for res_type in TYPES:
        for res_id in _stored_ids(service, res_type):
            if (res_type, res_id) not in keep:
                service.delete(res_type, res_id)
                report.deleted += 1
    return report


def _stored_ids(service: FhirService, res_type: str) -> list[str]:
    ids: list[str] = []
    while True:
        params = {"_elements": ["id"], "_count": [str(BATCH)], "_offset": [str(len(ids))]}
        _, result = service.search(res_type, params)
        ids.extend(s.res_id for s in result.matches)
        if not result.has_more:
            return ids


def _folder(root: Traversable, path: str) -> Traversable:
    for part in path.split("/"):
        root = root / part
    return root


def _json_files(folder: Traversable) -> Iterator[Traversable]:
    yield from sorted((f for f in folder.iterdir() if f.name.endswith(".json")),
                      key=lambda f: f.name)
