"""The duplicate-review queue on the puller: pairs found after each applied page, as Tasks.

After a page is applied, each record it created or changed is compared with the records of
the same type this node holds (its own and other origins' mirrors) that share one of its
business identifiers, or that carry the same name in the same country (then positions
decide, ``duplicates``). A pair from two origins becomes a ``duplicate-review`` Task whose id
is the pair's; a pair already queued or resolved is never queued again, and nothing is
merged. ``resolve`` completes the Task with the decision.
"""

from __future__ import annotations

from collections import Counter
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
LOOKUP_COUNT = "1000"
LOOKUP_CHUNK = 50


def queue(service: FhirService, changed: Iterable[dict[str, Any]], own_base: str,
          now: int) -> int:
    """Queue the new candidate pairs that ``changed`` records take part in; returns how
    many Tasks were written. Neighbours are looked up per type in a few OR-ed searches."""
    by_type: dict[str, dict[str, dict[str, Any]]] = {}
    for resource in changed:
        if resource.get("resourceType") in MATCHED_TYPES:
            by_type.setdefault(resource["resourceType"], {})[resource["id"]] = resource
    pairs: dict[str, CandidatePair] = {}
    for kind, group in by_type.items():
        found = {**_neighbours(service, kind, list(group.values())), **group}
        records = _records(service, list(found.values()), own_base)
        mine = {f"{kind}/{res_id}" for res_id in group}
        for pair in duplicates.candidate_pairs(records):
            if pair.a.reference in mine or pair.b.reference in mine:
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


def _records(service: FhirService, resources: list[dict[str, Any]],
             own_base: str) -> list[Record]:
    """Matching keys; an Organization's position (from a site it manages) is looked up only
    when another record shares its name and country, the only case that needs it."""
    plain = [duplicates.record_of(r, mirror_origin(r) or own_base) for r in resources]
    names = Counter((r.name, r.country) for r in plain if r.name and r.country)
    located = [r.reference for r in plain if r.res_type == "Organization"
               and names[(r.name, r.country)] > 1]
    positions = _positions(service, located)
    return [duplicates.record_of(r, p.origin, positions.get(p.reference))
            for r, p in zip(resources, plain, strict=True)]


def _positions(service: FhirService, organizations: list[str]) -> dict[str, Any]:
    positions: dict[str, Any] = {}
    for chunk in _chunks(organizations):
        sites = _search(service, "Location", {"organization": [",".join(chunk)]})
        positions.update(duplicates.positions_by_organization(sites))
    return positions


def _neighbours(service: FhirService, kind: str, resources: list[dict[str, Any]]
                ) -> dict[str, dict[str, Any]]:
    """Records of ``kind`` that share an identifier, or a name, with one of ``resources``."""
    tokens, names = set(), set()
    for resource in resources:
        for identifier in resource.get("identifier") or []:
            if isinstance(identifier, dict) and identifier.get("system") \
                    and identifier.get("value"):
                tokens.add(f"{_escape(identifier['system'])}|{_escape(identifier['value'])}")
        name = resource.get("name")
        if kind in duplicates.NAMED_TYPES and isinstance(name, str) and name.strip():
            names.add(_escape(name.strip()))
    found: dict[str, dict[str, Any]] = {}
    for parameter, values in (("identifier", sorted(tokens)), ("name", sorted(names))):
        for chunk in _chunks(values):
            for other in _search(service, kind, {parameter: [",".join(chunk)]}):
                found[other["id"]] = other
    return found


def _escape(value: str) -> str:
    """A search value with FHIR's special characters escaped (``,``, ``|``, ``$``, ``\\``)."""
    return "".join(f"\\{c}" if c in ",|$\\" else c for c in value)


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start:start + LOOKUP_CHUNK]


def _search(service: FhirService, kind: str, params: dict[str, list[str]]
            ) -> list[dict[str, Any]]:
    _, result = service.search(kind, {**params, "_count": [LOOKUP_COUNT]})
    return [s.resource() for s in result.matches]


def _known(service: FhirService, pair_id: str) -> bool:
    return _task(service, pair_id) is not None


def _task(service: FhirService, pair_id: str) -> dict[str, Any] | None:
    stored: list[Stored] = service.ctx.resources.read_many([("Task", pair_id)])
    return stored[0].resource() if stored and not stored[0].deleted else None
