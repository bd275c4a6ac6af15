"""Build the synthetic network from the demo generator and load it through the registry's own
write pipeline (one unit of work per batch of 1,000, as the node itself).

That is the registry's transaction path minus HTTP and structural validation (the generator's
output is valid; the pipeline's prepare step is told so), so large scales load in bounded time
and every version, index, compartment and audit row is exactly what the API would have written.
While loading, a fixed-size random sample of every resource type is kept: the workloads draw
their ids, names, identifiers and references from it, so every request hits real data.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from tqdm import tqdm

from registry.services.audit import AuditTrail
from registry.services.caller import Caller
from registry.services.node import Node
from registry.services.unit import unit_of_work
from registry.services.writes.pending import PendingWrite
from registry.storage.database import Database

DIRECTORY_SHARE = 0.7  # the rest of the network is sessions (Encounters with attendance)
SAMPLE_SIZE = 500
ANALYZE_FIRST = 20_000  # resources; then every time the store has doubled

Resource = dict[str, Any]


@dataclass
class LoadedNetwork:
    """What was loaded, how fast, and a sample of each type for the workloads."""

    resources: int = 0
    seconds: float = 0.0
    started: int = 0  # microseconds since the epoch, just before the first write
    by_type: Counter[str] = field(default_factory=Counter)
    samples: dict[str, list[Resource]] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.resources / self.seconds if self.seconds else 0.0

    def sample(self, res_type: str) -> list[Resource]:
        return self.samples.get(res_type, [])


class Reservoir:
    """A uniform random sample of each resource type, of bounded size (Algorithm R)."""

    def __init__(self, size: int, seed: int) -> None:
        self.size = size
        self.random = random.Random(seed)
        self.seen: Counter[str] = Counter()
        self.kept: dict[str, list[Resource]] = {}

    def offer(self, resource: Resource) -> None:
        res_type = resource["resourceType"]
        self.seen[res_type] += 1
        kept = self.kept.setdefault(res_type, [])
        if len(kept) < self.size:
            kept.append(resource)
            return
        slot = self.random.randrange(self.seen[res_type])
        if slot < self.size:
            kept[slot] = resource


def network_resources(target: int, seed: int) -> Iterator[Resource]:
    """About ``target`` resources: the directory at the matching scale, then sessions.

    The directory takes ``DIRECTORY_SHARE`` of the target; session Encounters (with their
    attendance) fill the rest, round-robin over the programs the directory defines.
    """
    from registry.services.demo import generate_network, generate_sessions, rosters, scale_for

    directory = max(int(target * DIRECTORY_SHARE), 1)
    roster_input: list[Resource] = []
    produced = 0
    for resource in islice(generate_network(seed=seed, scale=scale_for(directory)), target):
        if resource["resourceType"] in ("HealthcareService", "PractitionerRole"):
            roster_input.append(_roster_part(resource))
        produced += 1
        yield resource
    programs = rosters(roster_input)
    if produced < target and programs:
        yield from generate_sessions(seed, programs, target - produced)


def _roster_part(resource: Resource) -> Resource:
    """Only what ``rosters`` reads, so a 1M network's roles are not all held in memory."""
    if resource["resourceType"] == "HealthcareService":
        return resource
    keep = ("resourceType", "id", "active", "code", "healthcareService")
    return {k: resource[k] for k in keep if k in resource}


def load_network(engine: Engine, node: Node, resources: Iterable[Resource], *, target: int,
                 batch: int = 1_000, seed: int = 2026, progress: bool = True) -> LoadedNetwork:
    """Persist ``resources`` in write transactions of ``batch``; time only the writes.

    On PostgreSQL the planner statistics are refreshed each time the store has doubled, as
    autovacuum's analyze would (10 % changed) on a default server; without them the look-up of
    current versions degrades to a scan of the type as the tables grow (seen on a server with
    autovacuum off: 1,100 resources/s fell to 200). The ANALYZE time is not counted.
    """
    loaded = LoadedNetwork(started=time.time_ns() // 1000)
    next_analyze = ANALYZE_FIRST
    reservoir = Reservoir(SAMPLE_SIZE, seed)
    bar = tqdm(total=target, desc="generate+load", unit="res", disable=not progress,
               dynamic_ncols=True)
    with bar:
        for chunk in _batches(resources, batch):
            started = time.perf_counter()
            with unit_of_work(Database(engine), node, Caller.system("benchmark"), AuditTrail(),
                              node.base_url or "", write=True) as service:
                service.write([PendingWrite(r["resourceType"], r["id"], r, "PUT",
                                            prepared=True) for r in chunk])
            loaded.seconds += time.perf_counter() - started
            for resource in chunk:
                reservoir.offer(resource)
            loaded.resources += len(chunk)
            bar.update(len(chunk))
            if engine.dialect.name == "postgresql" and loaded.resources >= next_analyze:
                maintain(engine, "ANALYZE")
                next_analyze *= 2
    loaded.by_type = reservoir.seen
    loaded.samples = reservoir.kept
    return loaded


def maintain(engine: Engine, *statements: str) -> None:
    """PostgreSQL maintenance (``ANALYZE``, ``VACUUM``, ``CHECKPOINT``), outside a transaction
    as ``VACUUM`` requires."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for statement in statements:
            conn.execute(sa.text(statement))


def _batches(items: Iterable[Resource], size: int) -> Iterator[list[Resource]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def relabelled(resources: Iterable[Resource], prefix: str) -> list[Resource]:
    """Copies with ids ``prefix + id`` and references among them rewritten to match.

    The transaction workload sends fresh copies of generated resources; relabelling keeps
    their internal references intact while never colliding with what is already stored.
    """
    copies = [_deep_copy(r) for r in resources]
    new_ids = {(r["resourceType"], r["id"]): f"{prefix}{r['id']}"[-64:] for r in copies}
    renamed = {f"{t}/{old}": f"{t}/{new}" for (t, old), new in new_ids.items()}
    for resource in copies:
        resource["id"] = new_ids[(resource["resourceType"], resource["id"])]
        without_server_meta(resource)
        _rewrite(resource, renamed.get)
    return copies


def without_server_meta(resource: Resource) -> Resource:
    """Drop ``meta.versionId`` and ``meta.lastUpdated`` (the server sets them); keep the rest."""
    meta = {k: v for k, v in (resource.get("meta") or {}).items()
            if k not in ("versionId", "lastUpdated")}
    if meta:
        resource["meta"] = meta
    else:
        resource.pop("meta", None)
    return resource


def _rewrite(node: Any, lookup: Callable[[str], str | None]) -> None:
    if isinstance(node, dict):
        reference = node.get("reference")
        if isinstance(reference, str) and (new := lookup(reference)):
            node["reference"] = new
        for value in node.values():
            _rewrite(value, lookup)
    elif isinstance(node, list):
        for item in node:
            _rewrite(item, lookup)


def _deep_copy(resource: Resource) -> Resource:
    import orjson

    return orjson.loads(orjson.dumps(resource))  # type: ignore[no-any-return]
