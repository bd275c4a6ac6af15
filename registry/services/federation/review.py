"""The duplicate-review queue on the puller: pairs found after each applied page, as Tasks.

After a page is applied, each record it created or changed is compared with the records of
the same type this node holds (its own and other origins' mirrors) that share one of its
business identifiers, or that carry the same name in the same country (then positions
decide, ``duplicates``). A pair from two origins becomes a ``duplicate-review`` Task whose id
is the pair's; a pair already queued or resolved is never queued again, and nothing is
merged. ``resolve`` completes the Task with the decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from registry.errors import NotFound
from registry.services.federation import duplicates
from registry.services.federation.duplicates import CandidatePair, Record
from registry.services.federation.readonly import mirror_origin
from registry.services.fhir import FhirService
from registry.services.writes.pending import PendingWrite
from registry.storage.rows import Stored
from registry.storage.values import instant

MATCHED_TYPES = ("Organization", "Location", "HealthcareService", "Practitioner",
                 "PractitionerRole", "OrganizationAffiliation", "Endpoint")
LOOKUP_COUNT = "50"


def queue(service: FhirService, changed: Iterable[dict[str, Any]], own_base: str,
          now: int) -> int:
    """Queue the new candidate pairs that ``changed`` records take part in; returns how
    many Tasks were written."""
    pairs: dict[str, CandidatePair] = {}
    for resource in changed:
        if resource.get("resourceType") not in MATCHED_TYPES:
            continue
        record = _record(service, resource, own_base)
        others = [_record(service, r, own_base) for r in _neighbours(service, resource)]
        for pair in duplicates.candidate_pairs([record, *others]):
            if record in (pair.a, pair.b):
                pairs.setdefault(pair.id, pair)
    fresh = [p for p in pairs.values() if not _known(service, p.id)]
    if fresh:
        service.write([PendingWrite("Task", p.id, duplicates.review_task(p, instant(now)),
                                    "PUT") for p in fresh])
    return len(fresh)


def pending(service: FhirService) -> list[dict[str, Any]]:
    """The review Tasks still waiting, oldest first."""
    code = f"{duplicates.TASK_CODE_SYSTEM}|{duplicates.REVIEW_CODE}"
    _, result = service.search("Task", {"code": [code], "status": ["requested"],
                                        "_sort": ["authored-on"], "_count": ["1000"]})
    return [s.resource() for s in result.matches]


def resolve(service: FhirService, pair_id: str, keep: str, now: int) -> dict[str, Any]:
    """Complete the review Task of a pair with the decision to keep A, B or both."""
    task = _task(service, pair_id)
    if task is None:
        raise NotFound(f"No duplicate pair {pair_id}")
    done = duplicates.resolve(task, keep, instant(now))
    service.write([PendingWrite("Task", pair_id, done, "PUT")])
    return done


def describe(service: FhirService, reference: str) -> tuple[str, str]:
    """A record's business identifiers and origin, for listing a pair."""
    kind, _, res_id = reference.partition("/")
    stored = service.ctx.resources.read_many([(kind, res_id)])
    if not stored or stored[0].deleted:
        return "-", "(deleted)"
    resource = stored[0].resource()
    keys = ",".join(sorted(duplicates.identifier_keys(resource))) or "-"
    return keys, mirror_origin(resource) or "this node"


def _record(service: FhirService, resource: dict[str, Any], own_base: str) -> Record:
    origin = mirror_origin(resource) or own_base
    position = None
    if resource["resourceType"] == "Organization":
        reference = f"Organization/{resource['id']}"
        sites = _search(service, "Location", {"organization": [reference]})
        position = duplicates.positions_by_organization(sites).get(reference)
    return duplicates.record_of(resource, origin, position)


def _neighbours(service: FhirService, resource: dict[str, Any]) -> list[dict[str, Any]]:
    """Records of the same type that share an identifier or the name and country."""
    kind, found = resource["resourceType"], {}
    for identifier in resource.get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("system") and identifier.get("value"):
            token = f"{identifier['system']}|{identifier['value']}"
            for other in _search(service, kind, {"identifier": [token]}):
                found[other["id"]] = other
    name = resource.get("name")
    if kind in duplicates.NAMED_TYPES and isinstance(name, str) and name.strip():
        for other in _search(service, kind, {"name": [name.strip()]}):
            found[other["id"]] = other
    found.pop(resource["id"], None)
    return list(found.values())


def _search(service: FhirService, kind: str, params: dict[str, list[str]]
            ) -> list[dict[str, Any]]:
    _, result = service.search(kind, {**params, "_count": [LOOKUP_COUNT]})
    return [s.resource() for s in result.matches]


def _known(service: FhirService, pair_id: str) -> bool:
    return _task(service, pair_id) is not None


def _task(service: FhirService, pair_id: str) -> dict[str, Any] | None:
    stored: list[Stored] = service.ctx.resources.read_many([("Task", pair_id)])
    return stored[0].resource() if stored and not stored[0].deleted else None
