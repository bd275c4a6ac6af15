"""The duplicate-review queue on the puller: pairs found after each applied page, as Tasks.

After a page is applied, each record it created or changed is compared with the records of
the same type this node holds (its own and other origins' mirrors) that share one of its
business identifiers (by identifier key: separators and case ignored), or that carry the same
name (folded: case, accents and spacing ignored) in the same country (then positions decide,
``duplicates``). A pair from two origins
becomes a ``duplicate-review`` Task whose id is the pair's; a pair already queued or resolved
is never queued again, and nothing is merged. ``resolve`` completes the Task with the decision.

A decision is kept by a write step (``ResolutionStep``), so it holds however the Task is
written (``registry duplicates resolve`` or a PUT over the API): keeping A or B hides the other
copy from this node's searches (a row of ``dropped_duplicate``; the record itself is never
edited or deleted, and a read by id still answers it). The dropped copy is hidden only while
the kept copy is live: when the kept copy is deleted (at its origin, or its peer removed), the
dropped copy shows in searches again, and is hidden again if the kept copy comes back.
Deleting the Task, or resolving ``both``, hides nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import orjson

from registry.errors import NotFound, Unprocessable
from registry.services import policy
from registry.services.federation import duplicates
from registry.services.federation.duplicates import CandidatePair, Record
from registry.services.federation.readonly import mirror_origin
from registry.services.fhir import FhirService
from registry.services.writes.pending import PendingWrite
from registry.storage import federation as rows
from registry.storage.rows import Stored
from registry.storage.values import instant

if TYPE_CHECKING:
    from registry.services.writes.pipeline import WriteBatch

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
    """Records of ``kind`` that share an identifier key, or a name, with one of ``resources``."""
    keys, names = set(), set()
    for resource in resources:
        for key in duplicates.identifier_keys(resource):
            system, _, value = key.partition("|")
            keys.add((system, value))
        name = resource.get("name")
        if kind in duplicates.NAMED_TYPES and isinstance(name, str) and name.strip():
            names.add(name)
    conn = service.ctx.conn
    return {res_id: orjson.loads(content)
            for res_id, content in [*rows.by_identifier_key(conn, kind, keys),
                                    *rows.by_name(conn, kind, names)]}


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


class ResolutionStep:
    """The write step that keeps a review decision: the copy a completed duplicate-review Task
    drops is hidden from searches while the kept one is live; a Task deleted, or one that
    keeps both, hides nothing. A decision naming a record this node does not hold is 422."""

    def __call__(self, batch: WriteBatch) -> None:
        for write in batch.writes:
            if write.res_type != "Task":
                continue
            if write.resource is None:
                if write.current is not None:
                    rows.set_dropped(batch.ctx.conn, write.res_id, None, None)
            elif policy.kind_of("Task", write.resource) == policy.REVIEW_TASK:
                _keep(batch, write)


def _keep(batch: WriteBatch, write: PendingWrite) -> None:
    assert write.resource is not None
    hidden = duplicates.hidden_reference(write.resource)
    kept: str | None = None
    if hidden is not None:
        a, b = duplicates.pair_of(write.resource)
        kept = a if hidden == b else b
    if not rows.set_dropped(batch.ctx.conn, write.res_id, _key(hidden), _key(kept)):
        raise Unprocessable(f"Task/{write.res_id} keeps {kept} and drops {hidden}, but this "
                            f"node does not hold both", *([write.where] if write.where else []))


def _key(reference: str | None) -> tuple[str, str] | None:
    if reference is None:
        return None
    kind, _, res_id = reference.partition("/")
    return kind, res_id
