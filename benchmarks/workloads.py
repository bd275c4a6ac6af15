"""The workloads: which requests each one sends, and the SQL that is its search floor.

Every request is built from the sample kept while loading, so ids, names, identifiers and
references all exist. The token, reference, ``_include`` and count searches are chosen so that
their answers do not grow with the store (one organization, its roles), which is what lets the
10k and 1M runs be compared for O(log n) behaviour. The name search cannot be: the generator
draws family names from fixed pools, so a family matches about 2 practitioners at 10k, 13 at
100k and fills the page of 50 at 1M. The report gives every workload's mean answer size
(``report.answer_size``) so that a scaling ratio is read for what it compares.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson

from benchmarks.client import Call
from benchmarks.dataset import LoadedNetwork, Resource, relabelled, without_server_meta
from benchmarks.settings import BenchSettings
from registry.storage.values import fold, prefix_upper_bound

DISTINCT_TARGETS = 200  # per workload; the HTTP floor keeps one body per target in memory
PAGE = 50  # the registry's default _count: the SQL floors fetch the same page
SEARCH_WORKLOADS = ("search_string", "search_token", "search_reference", "search_chained",
                    "search_include", "search_count")


@dataclass(frozen=True)
class SqlCall:
    """One hand-written, indexed SQL look-up equivalent to a search request."""

    sql: str
    params: dict[str, Any]
    postgresql: str | None = None  # the same query, where PostgreSQL needs its own spelling

    def text_for(self, dialect: str) -> str:
        return self.postgresql if dialect == "postgresql" and self.postgresql else self.sql


@dataclass
class Workload:
    """A named set of calls, how hard to drive them, and the floors to measure them against."""

    name: str
    description: str
    calls: list[Call]
    threads: int
    max_requests: int
    duration: float
    floors: tuple[str, ...]  # "http", and "sql" or "write"
    sql: list[SqlCall] = field(default_factory=list)
    write_batches: list[list[Resource]] = field(default_factory=list)
    warm_requests: int = 0
    warm_calls: list[Call] = field(default_factory=list)  # the calls themselves if empty


def build_workloads(network: LoadedNetwork, settings: BenchSettings,
                    fresh: Callable[[int], list[Resource]]) -> list[Workload]:
    """All request workloads but history (which follows links and is driven on its own).

    ``fresh(n)`` yields ``n`` newly generated resources (dependency order) for the writes.
    """
    rng = random.Random(settings.seed)
    return [
        _create(network, settings, rng),
        _transaction(settings, fresh),
        _read(network, settings, rng),
        _vread(network, settings, rng),
        *_searches(network, settings, rng),
    ]


def _base(name: str, description: str, calls: list[Call], settings: BenchSettings,
          floors: tuple[str, ...], **extra: Any) -> Workload:
    return Workload(name, description, calls, settings.clients, settings.requests,
                    settings.duration, floors, warm_requests=4 * settings.clients, **extra)


def _create(network: LoadedNetwork, settings: BenchSettings, rng: random.Random) -> Workload:
    bodies = [_without_id(r) for r in network.sample("Practitioner")[:DISTINCT_TARGETS]]
    calls = [Call("POST", "/fhir/Practitioner", orjson.dumps(b)) for b in bodies]
    workload = _base("create", "POST /Practitioner (one resource, validated)", calls, settings,
                     ("http", "write"))
    workload.max_requests = min(settings.requests, 1_000)
    workload.write_batches = [[dict(b, id=f"create-{i}")] for i, b in enumerate(bodies)]
    return workload


def _transaction(settings: BenchSettings, fresh: Callable[[int], list[Resource]]) -> Workload:
    size, count = settings.bundle_size, max(settings.bundles, 1)
    template = fresh(size)
    batches = [relabelled(template, f"t{i}-") for i in range(count)]
    calls = [Call("POST", "/fhir/", orjson.dumps(_bundle(b)), items=len(b)) for b in batches]
    warm = [Call("POST", "/fhir/", orjson.dumps(_bundle(relabelled(template[:50], f"w{i}-"))),
                 items=50) for i in range(4)]
    return Workload("transaction", f"POST transaction Bundle of {size:,} PUT entries", calls,
                    threads=2, max_requests=count, duration=max(settings.duration, 300.0),
                    floors=("http", "write"), write_batches=batches, warm_requests=len(warm),
                    warm_calls=warm)


def _bundle(resources: Iterable[Resource]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r,
         "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
        for r in resources]}


def _read(network: LoadedNetwork, settings: BenchSettings, rng: random.Random) -> Workload:
    keys = _keys(network, rng)
    calls = [Call("GET", f"/fhir/{t}/{i}") for t, i in keys]
    return _base("read", "GET /[type]/[id] across the directory types", calls, settings,
                 ("http",))


def _vread(network: LoadedNetwork, settings: BenchSettings, rng: random.Random) -> Workload:
    keys = _keys(network, rng)
    calls = [Call("GET", f"/fhir/{t}/{i}/_history/1") for t, i in keys]
    return _base("vread", "GET /[type]/[id]/_history/1", calls, settings, ("http",))


def _keys(network: LoadedNetwork, rng: random.Random) -> list[tuple[str, str]]:
    keys = [(t, r["id"]) for t, sample in sorted(network.samples.items()) for r in sample]
    rng.shuffle(keys)
    return keys[:DISTINCT_TARGETS]


def _searches(network: LoadedNetwork, settings: BenchSettings,
              rng: random.Random) -> list[Workload]:
    values = SearchValues.from_network(network, rng)
    specs = [
        ("search_string", "Practitioner?name=<family>", values.families,
         lambda v: ("Practitioner", {"name": v}), _sql_string),
        ("search_token", "Organization?identifier=<system>|<value>", values.identifiers,
         lambda v: ("Organization", {"identifier": v}), _sql_token),
        ("search_reference", "PractitionerRole?organization=Organization/<id>",
         values.organizations,
         lambda v: ("PractitionerRole", {"organization": f"Organization/{v}"}), _sql_reference),
        ("search_chained", "PractitionerRole?organization.name=<name>", values.org_names,
         lambda v: ("PractitionerRole", {"organization.name": v}), _sql_chained),
        ("search_include", "PractitionerRole?organization=...&_include=PractitionerRole:"
         "practitioner", values.organizations,
         lambda v: ("PractitionerRole", {"organization": f"Organization/{v}",
                                         "_include": "PractitionerRole:practitioner"}),
         _sql_include),
        ("search_count", "PractitionerRole?organization=...&_summary=count",
         values.organizations,
         lambda v: ("PractitionerRole", {"organization": f"Organization/{v}",
                                         "_summary": "count"}), _sql_count),
    ]
    workloads = []
    for name, description, pool, request, sql in specs:
        chosen = pool[:DISTINCT_TARGETS]
        calls = [Call("GET", f"/fhir/{t}?{urlencode(q)}") for t, q in map(request, chosen)]
        workloads.append(_base(name, description, calls, settings, ("http", "sql"),
                               sql=[sql(v) for v in chosen]))
    return workloads


@dataclass
class SearchValues:
    """Search arguments drawn from the sample; each list holds values that exist."""

    families: list[str]
    identifiers: list[str]  # Organization business identifiers, system|value
    organizations: list[str]  # ids of spoke organizations that have roles
    org_names: list[str]

    @classmethod
    def from_network(cls, network: LoadedNetwork, rng: random.Random) -> SearchValues:
        practitioners = network.sample("Practitioner")
        families = _unique(n.get("family") for p in practitioners for n in p.get("name", [])[:1])
        organizations = network.sample("Organization")
        identifiers = _unique(f"{i.get('system', '')}|{i['value']}" for o in organizations
                              for i in o.get("identifier", [])[:1] if "value" in i)
        org_ids = _unique(_ref_id(r.get("organization"), "Organization")
                          for r in network.sample("PractitionerRole"))
        spokes = {o["id"] for o in organizations if _is_spoke(o)}
        org_ids = [i for i in org_ids if i in spokes] or org_ids
        names = {o["id"]: o["name"] for o in organizations if o.get("name")}
        org_names = _unique(names.get(i) for i in org_ids) or _unique(names.values())
        for values in (families, identifiers, org_ids, org_names):
            rng.shuffle(values)
        missing = [n for n, v in (("family names", families), ("identifiers", identifiers),
                                  ("role organizations", org_ids), ("organization names",
                                                                    org_names)) if not v]
        if missing:
            raise RuntimeError(f"the generated network has no {', '.join(missing)} to search")
        return cls(families, identifiers, org_ids, org_names)


def _is_spoke(organization: Resource) -> bool:
    """Spokes have a bounded number of members whatever the network's size; hubs grow."""
    return any(c.get("code") == "spoke" for t in organization.get("type", [])
               for c in t.get("coding", []))


def _unique(values: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _ref_id(reference: Any, res_type: str) -> str | None:
    text = (reference or {}).get("reference", "") if isinstance(reference, dict) else ""
    head, _, tail = text.rpartition("/")
    return tail if head.endswith(res_type) else None


def _without_id(resource: Resource) -> Resource:
    """A body for POST: no id, and meta without the server-assigned version and time."""
    body = {k: v for k, v in resource.items() if k != "id"}
    return without_server_meta(body)


# ---- hand-written SQL floors: the same look-up, one indexed query each ---------------------

_PAGE_OF = f"ORDER BY r.pk LIMIT {PAGE + 1}"


def _sql_string(family: str) -> SqlCall:
    folded = fold(family)
    return SqlCall(
        "SELECT DISTINCT r.pk, r.res_id, r.version, r.last_updated, r.content "
        "FROM idx_string s JOIN resource r ON r.pk = s.resource_pk "
        "WHERE s.res_type = 'Practitioner' AND s.param = 'name' "
        "AND s.value >= :low AND s.value < :high AND NOT r.deleted " + _PAGE_OF,
        {"low": folded, "high": prefix_upper_bound(folded)})


def _sql_token(identifier: str) -> SqlCall:
    system, _, code = identifier.partition("|")
    return SqlCall(
        "SELECT DISTINCT r.pk, r.res_id, r.version, r.last_updated, r.content "
        "FROM idx_token t JOIN resource r ON r.pk = t.resource_pk "
        "WHERE t.res_type = 'Organization' AND t.param = 'identifier' "
        "AND t.code = :code AND t.system = :system AND NOT r.deleted " + _PAGE_OF,
        {"code": code, "system": system})


_ROLES_OF = ("FROM idx_reference f JOIN resource r ON r.pk = f.resource_pk "
             "WHERE f.res_type = 'PractitionerRole' AND f.param = 'organization' "
             "AND f.target_id = :org AND f.target_type = 'Organization' AND NOT r.deleted ")


def _sql_reference(org_id: str) -> SqlCall:
    return SqlCall("SELECT r.pk, r.res_id, r.version, r.last_updated, r.content "
                   + _ROLES_OF + _PAGE_OF, {"org": org_id})


def _sql_chained(name: str) -> SqlCall:
    folded = fold(name)
    return SqlCall(
        "SELECT DISTINCT r.pk, r.res_id, r.version, r.last_updated, r.content "
        "FROM idx_string s JOIN resource o ON o.pk = s.resource_pk "
        "JOIN idx_reference f ON f.target_id = o.res_id AND f.target_type = 'Organization' "
        "AND f.res_type = 'PractitionerRole' AND f.param = 'organization' "
        "JOIN resource r ON r.pk = f.resource_pk "
        "WHERE s.res_type = 'Organization' AND s.param = 'name' AND s.value >= :low "
        "AND s.value < :high AND NOT o.deleted AND NOT r.deleted " + _PAGE_OF,
        {"low": folded, "high": prefix_upper_bound(folded)})


def _sql_include(org_id: str) -> SqlCall:
    def query(target_id: str) -> str:
        return (
            "WITH page AS (SELECT r.pk, r.content " + _ROLES_OF + _PAGE_OF + ") "
            "SELECT content FROM page UNION ALL "
            "SELECT t.content FROM resource t WHERE t.res_type = 'Practitioner' "
            f"AND NOT t.deleted AND t.res_id IN (SELECT {target_id} FROM idx_reference i "
            "JOIN page ON i.resource_pk = page.pk WHERE i.param = 'practitioner' "
            "AND i.target_type = 'Practitioner')")
    # On PostgreSQL target_id is "C"-collated (prefix ranges) and res_id is not: compared in
    # res_id's collation, the key index serves the look-up (0.7 ms, not 25 ms, at 100k).
    return SqlCall(query("i.target_id"), {"org": org_id},
                   postgresql=query('i.target_id COLLATE "default"'))


def _sql_count(org_id: str) -> SqlCall:
    return SqlCall("SELECT count(*) " + _ROLES_OF, {"org": org_id})
