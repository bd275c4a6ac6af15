"""The security compartment of a resource: which hub, spoke and country own it, and whether its hub
published it.

It is derived from the resource itself on every write (``derive``, called by the write
pipeline's persist step in the same transaction) and stored in ``resource_compartment``, so the
policy can hide resources inside SQL. Derivation follows one *owner reference* per resource kind
(the table ``OWNER_REFERENCES``) to a resource whose compartment is already known and inherits
it; Organizations add what their ``type`` says about themselves (a hub owns its own subtree, a
spoke is owned by its hub's compartment and its own). Kinds with no natural owner (Practitioner,
Questionnaire, case parts) name their owner with the extension ``OWNER_EXTENSION``; the access
layer adds it for bound callers (``stamp_owner``) so what they create stays theirs.

A case belongs to the spoke that presents it: a case Bundle and its Composition follow
``Composition.author`` (the presenter's PractitionerRole, whose organization is the spoke; the
same reference the case pipeline takes the spoke from), so the spoke's clinicians and its hub's
admins see it. The Conditions, Observations and MedicationStatements extracted from a case name
their Composition as owner (the case pipeline adds the extension, ``cases.ingest``), so they
follow the case wherever it belongs.

Publication is a tag the hub sets on what it wants peers and the global network to see::

    "meta": {"tag": [{"system": "https://telementoring.example.org/fhir/CodeSystem/network",
                      "code": "published"}]}

Known limit: a compartment is derived when its resource is written; moving a spoke to another
hub does not re-derive the spoke's dependants until they are written again or ``registry
security rebuild`` runs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import orjson

from registry.storage import compartments as rows
from registry.storage import resources
from registry.storage.compartments import EMPTY, Compartment
from registry.storage.database import Connection
from registry.storage.search.references import parse_reference

NETWORK_SYSTEM = "https://telementoring.example.org/fhir/CodeSystem/network"
PUBLISHED_CODE = "published"
ORGANIZATION_KIND_SYSTEM = "https://telementoring.example.org/fhir/CodeSystem/organization-kind"
OWNER_EXTENSION = "https://telementoring.example.org/fhir/StructureDefinition/owner"

# Where each kind names the resource it belongs to, most specific first. A path walks object
# keys and flattens lists; it ends at Reference objects.
OWNER_REFERENCES: dict[str, tuple[str, ...]] = {
    "Organization": ("partOf",),
    "Location": ("managingOrganization",),
    "OrganizationAffiliation": ("organization", "participatingOrganization"),
    "PractitionerRole": ("organization",),
    "HealthcareService": ("providedBy",),
    "Endpoint": ("managingOrganization",),
    "Encounter": ("serviceProvider", "partOf"),
    "Group": ("managingEntity",),
    "CarePlan": ("author", "encounter"),
    "Condition": ("encounter",),
    "Observation": ("encounter", "performer"),
    "MedicationStatement": ("context",),
    "Communication": ("about", "encounter", "sender"),
    "QuestionnaireResponse": ("author", "source", "encounter"),
    "MeasureReport": ("reporter",),
    "ServiceRequest": ("requester",),  # a consultation belongs to the asking spoke
    # assigning a consultation follows it; a completion belongs to the mentee who completed
    "Task": ("basedOn", "owner", "focus"),
    "DocumentReference": ("custodian", "context.encounter"),  # the hub's learning catalogue
    "Provenance": ("target",),
}

# Kinds that name their owner in one of the network's extensions: a session belongs to the hub
# whose program it is part of.
OWNER_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "Encounter": ("https://telementoring.example.org/fhir/StructureDefinition/session-program",),
}
Key = tuple[str, str]
CASE_OWNED = frozenset({"Composition", "Bundle"})  # owned by the case's presenter


class Written(Protocol):
    """A resource about to be written (a pending write): its key and body, None to delete."""

    @property
    def res_type(self) -> str: ...
    @property
    def res_id(self) -> str: ...
    @property
    def resource(self) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class _Stored:
    res_type: str
    res_id: str
    resource: dict[str, Any] | None

__all__ = ["EMPTY", "Compartment", "derive", "rebuild", "stored_compartments"]


def derive(conn: Connection, base_url: str, writes: Sequence[Written],
           known: dict[Key, Compartment] | None = None) -> list[Compartment | None]:
    """The compartment of each write (``None`` for deletions), resolving owners written in the
    same batch first and stored ones second, whatever the order of the batch. ``known`` are
    compartments already derived for other writes of the batch (owners not yet stored)."""
    bodies = {(w.res_type, w.res_id): w.resource for w in writes if w.resource is not None}
    found = dict(known or {})
    wanted = {k for body in bodies.values() for k in owner_keys(body, base_url)}
    found.update(stored_compartments(conn, [k for k in wanted
                                            if k not in bodies and k not in found]))
    resolver = _Resolver(bodies, found, base_url)
    return [None if w.resource is None else resolver.resolve((w.res_type, w.res_id))
            for w in writes]


def rebuild(conn: Connection, base_url: str) -> int:
    """Derive again the compartment of every current resource (after migration 0002 on a
    populated database, or after a hub reorganization); returns how many were derived."""
    current = resources.current_resources(conn)
    writes = [_Stored(res_type, res_id, orjson.loads(content))
              for _, res_type, res_id, _, content in current]
    derived = derive(conn, base_url, writes)
    rows.store_compartments(conn, [(pk, found, True) for (pk, *_), found
                                   in zip(current, derived, strict=True)])
    return len(writes)


def stored_compartments(conn: Connection, keys: Iterable[Key]) -> dict[Key, Compartment]:
    """Compartments already stored for (type, id) pairs; absent keys have none."""
    return rows.stored_compartments(conn, keys)


def owner_keys(body: dict[str, Any], base_url: str) -> list[Key]:
    """Local references that may name the owner of ``body``, in order of preference. A case
    (its Composition, or the document Bundle that carries it) has one: its presenter."""
    if body.get("resourceType") in CASE_OWNED:
        presenter = case_presenter(body)
        keys = list(_local_keys([{"reference": presenter}] if presenter else [], base_url))
    else:
        paths = OWNER_REFERENCES.get(body.get("resourceType", ""), ())
        keys = [k for path in paths
                for k in _local_keys(_walk(body, path.split(".")), base_url)]
    owning = OWNER_EXTENSIONS.get(body.get("resourceType", ""), ())
    keys += [k for url in owning for k in _local_keys(_extension_values(body, url), base_url)]
    return keys + list(_local_keys(_owner_extensions(body), base_url))


def case_presenter(body: dict[str, Any]) -> str | None:
    """The presenter of a case: the first ``Composition.author`` that is a PractitionerRole
    (of the Composition, or of a document Bundle's first entry). The one reading of the author
    that the compartment, the spoke of the subject key and the authorization all use."""
    composition: Any = body
    if body.get("resourceType") == "Bundle":
        entries = body.get("entry")
        first = entries[0] if isinstance(entries, list) and entries else None
        composition = first.get("resource") if isinstance(first, dict) else None
        if not isinstance(composition, dict) or composition.get("resourceType") != "Composition":
            return None
    for author in composition.get("author") or []:
        reference = author.get("reference") if isinstance(author, dict) else None
        if isinstance(reference, str) and reference.startswith("PractitionerRole/"):
            return reference
    return None


def has_owner_extension(body: dict[str, Any]) -> bool:
    return any(True for _ in _owner_extensions(body))


def is_published(body: dict[str, Any]) -> bool:
    tags = (body.get("meta") or {}).get("tag") or []
    return any(isinstance(t, dict) and t.get("system") == NETWORK_SYSTEM
               and t.get("code") == PUBLISHED_CODE for t in tags)


def organization_kind(body: dict[str, Any]) -> str | None:
    """national-program, hub or spoke, from ``Organization.type``."""
    for concept in body.get("type") or []:
        for coding in (concept or {}).get("coding") or []:
            if coding.get("system") == ORGANIZATION_KIND_SYSTEM:
                return str(coding.get("code"))
    return None


class _Resolver:
    """Resolves compartments of a batch, following owners inside the batch recursively."""

    def __init__(self, bodies: dict[Key, dict[str, Any]], stored: dict[Key, Compartment],
                 base_url: str) -> None:
        self.bodies, self.stored, self.base_url = bodies, stored, base_url
        self.done: dict[Key, Compartment] = {}
        self.visiting: set[Key] = set()

    def resolve(self, key: Key) -> Compartment | None:
        if key in self.done:
            return self.done[key]
        if key not in self.bodies:
            return self.stored.get(key)
        if key in self.visiting:  # a reference cycle inside the batch owns nothing
            return None
        self.visiting.add(key)
        body = self.bodies[key]
        parent = next((c for c in (self.resolve(k) for k in owner_keys(body, self.base_url))
                       if c is not None and (c.owned or c.country)), None)
        self.visiting.discard(key)
        self.done[key] = own_compartment(key[1], body, parent or EMPTY)
        return self.done[key]


def own_compartment(res_id: str, body: dict[str, Any], parent: Compartment) -> Compartment:
    """What a resource adds to the compartment it inherits from its owner."""
    kind = organization_kind(body) if body.get("resourceType") == "Organization" else None
    inherited = replace(parent, published=False)
    if kind == "national-program":
        inherited = Compartment(country=parent.country)
    elif kind == "hub":
        inherited = Compartment(hub=res_id, country=parent.country)
    elif kind == "spoke":
        inherited = Compartment(hub=parent.hub, spoke=res_id, country=parent.country)
    return replace(inherited, country=_country(body) or inherited.country,
                   published=is_published(body))


def _country(body: dict[str, Any]) -> str | None:
    """An Organization's or Location's own ISO 3166 alpha-2 country, if it states one."""
    if body.get("resourceType") not in ("Organization", "Location"):
        return None
    addresses = body.get("address")
    if isinstance(addresses, dict):
        addresses = [addresses]
    for address in addresses if isinstance(addresses, list) else []:
        country = address.get("country") if isinstance(address, dict) else None
        if isinstance(country, str) and len(country) == 2 and country.isalpha():
            return country.upper()
    return None


def _walk(node: Any, path: list[str]) -> Iterator[Any]:
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, path)
    elif not path:
        yield node
    elif isinstance(node, dict):
        yield from _walk(node.get(path[0]), path[1:])


def _owner_extensions(body: dict[str, Any]) -> Iterator[Any]:
    return _extension_values(body, OWNER_EXTENSION)


def _extension_values(body: dict[str, Any], url: str) -> Iterator[Any]:
    for ext in body.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == url:
            yield ext.get("valueReference")


def _local_keys(references: Iterable[Any], base_url: str) -> Iterator[Key]:
    for ref in references:
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            row = parse_reference(ref["reference"], base_url)
            if row["url"] is None and row["target_type"]:
                yield row["target_type"], row["target_id"]
