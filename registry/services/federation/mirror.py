"""How a record pulled from a peer becomes a read-only local mirror.

Pure functions over FHIR JSON; the sync service calls them before the write pipeline.

Mirror ids. A mirror's local id is derived from its origin's FHIR base and its remote id, so
applying a page twice writes the same ids and two origins that use the same id never collide:

- ``<tag>.<remote id>`` when the remote id fits (at most 51 characters), readable in a URL;
- ``<tag>-<40 hex digits of SHA-256(remote id)>`` otherwise.

``<tag>`` is 12 hex digits of SHA-256 of the origin's normalized base (``normalize_base``).
The character after the fixed-length tag tells the two forms apart, so the mapping is one to
one within an origin. Two origins collide only if their tags do: for 1,000 origins the chance
is about n²/2·16⁻¹² ≈ 2·10⁻⁹ (and even then only for records sharing a remote id); the hashed
form adds a 160-bit collision chance, which is negligible. A local record created through the
API could still take such an id; the sync service must refuse to overwrite a record that is not
a mirror.

References. Every reference among records of the same origin (relative ``Type/id``, absolute
``[origin]/Type/id``, either with ``/_history/n``) is rewritten to the local mirror id, so
``_include``, chaining and ``partOf`` work on the puller. The version part is dropped: remote
version ids mean nothing locally, and the Provenance of each mirror version names the remote
version. References to other origins, contained (``#``) and ``urn:`` references, conditional
references and canonical URLs are left alone.

Relayed records. A peer may serve a record it holds as a mirror itself (a national node that
pulled a hub, pulled in turn by a global node). Such a record keeps its origin: its id (already
the origin's mirror id), its ``meta.source`` (the origin's base and version) and its references
(already local to the origin's mirrors) stay as they are, and a ``relayed-by`` tag names the
peer it came through, so the record is the same whichever way it arrives and a withdrawal
relayed by that peer can find it (``to_relayed``).

``meta.source`` is the origin's base, ``#`` and the remote version id. The Provenance of a
pulled version targets the local version, names the origin's versioned record as its
``source`` entity, and has two agents: the peer, and this node. R4 does not allow an Endpoint
as ``Provenance.agent.who``, so the peer's Endpoint travels in the standard
``alternate-reference`` extension on that Reference, beside the peer's base as identifier.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

TAG_CHARS = 12
HASH_CHARS = 40
MAX_ID = 64
READABLE_ID_CHARS = MAX_ID - TAG_CHARS - 1
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
VERSION = r"(?:/_history/[A-Za-z0-9\-.]{1,64})?"
LOCAL_REFERENCE = re.compile(r"([A-Z][A-Za-z]*)/([A-Za-z0-9\-.]{1,64})" + VERSION)
ABSOLUTE_REFERENCE = re.compile(r"(https?://.+)/([A-Z][A-Za-z]*)/([A-Za-z0-9\-.]{1,64})" + VERSION)
DEFAULT_PORTS = {"http": 80, "https": 443}
ALTERNATE_REFERENCE = "http://hl7.org/fhir/StructureDefinition/alternate-reference"
URI_SYSTEM = "urn:ietf:rfc:3986"
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
OPERATIONS = ("CREATE", "UPDATE", "DELETE")
# What a peer exposes to peers: the published directory and aggregate outcomes. Not the
# Measures: every node ships the same indicators (``schemas/measures``, stored by the node
# itself on ``registry db upgrade``), and a report names its Measure by canonical URL.
PULLED_TYPES = ("Organization", "Location", "OrganizationAffiliation", "Practitioner",
                "PractitionerRole", "HealthcareService", "Endpoint", "MeasureReport")
RELAYED_BY = "https://telementoring.example.org/fhir/CodeSystem/relayed-by"  # code: peer base


@dataclass(frozen=True)
class PulledVersion:
    """One version of a record as its origin holds it."""

    origin: str  # the FHIR base it was pulled from
    res_type: str
    remote_id: str
    remote_version: str
    relayed: bool = False  # a mirror at that peer itself: its id is kept (``to_relayed``)

    @property
    def local_id(self) -> str:
        return self.remote_id if self.relayed else mirror_id(self.origin, self.remote_id)

    @property
    def remote_reference(self) -> str:
        """The origin's versioned reference, absolute."""
        return (f"{normalize_base(self.origin)}/{self.res_type}/{self.remote_id}"
                f"/_history/{self.remote_version}")


@functools.lru_cache(maxsize=256)
def normalize_base(url: str) -> str:
    """A FHIR base in one spelling: lower-case scheme and host, no default port, no final /."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port if parts.port not in (None, DEFAULT_PORTS.get(scheme)) else None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))


@functools.lru_cache(maxsize=256)
def origin_tag(origin: str) -> str:
    """The short, fixed-length tag every mirror id of one origin starts with."""
    return hashlib.sha256(normalize_base(origin).encode()).hexdigest()[:TAG_CHARS]


def mirror_id(origin: str, remote_id: str) -> str:
    """The local id of the mirror of ``remote_id`` from ``origin`` (a valid FHIR id)."""
    tag = origin_tag(origin)
    if FHIR_ID.fullmatch(remote_id) and len(remote_id) <= READABLE_ID_CHARS:
        return f"{tag}.{remote_id}"
    return f"{tag}-{hashlib.sha256(remote_id.encode()).hexdigest()[:HASH_CHARS]}"


def provenance_id(pulled: PulledVersion) -> str:
    """The id of the Provenance of one pulled version: the same however often it is applied."""
    key = f"{pulled.res_type}/{pulled.remote_id}/_history/{pulled.remote_version}"
    return f"{origin_tag(pulled.origin)}-p{hashlib.sha256(key.encode()).hexdigest()[:HASH_CHARS]}"


def source(origin: str, remote_version: str | None = None) -> str:
    """``meta.source`` of a mirror: the origin's base, then ``#`` and the remote version id."""
    base = normalize_base(origin)
    return f"{base}#{remote_version}" if remote_version else base


def parse_source(value: str) -> tuple[str, str | None]:
    """The origin base and remote version id written by ``source``."""
    base, _, version = value.partition("#")
    return base, version or None


def local_reference(reference: str, origin: str) -> str | None:
    """The local form of ``reference`` when it points into ``origin``; None when it does not."""
    if "?" in reference or "#" in reference:
        return None
    match = LOCAL_REFERENCE.fullmatch(reference)
    if match is not None:
        kind, remote = match.group(1), match.group(2)
    else:
        match = ABSOLUTE_REFERENCE.fullmatch(reference)
        if match is None or normalize_base(match.group(1)) != normalize_base(origin):
            return None
        kind, remote = match.group(2), match.group(3)
    return f"{kind}/{mirror_id(origin, remote)}"


def rewrite_references(resource: dict[str, Any], origin: str) -> dict[str, Any]:
    """A copy of ``resource`` whose references into ``origin`` name local mirrors."""
    copied: dict[str, Any] = _rewritten(resource, origin)
    return copied


def _rewritten(node: Any, origin: str) -> Any:
    """A copy of a JSON value, built in the one walk that rewrites its references (JSON
    holds only dicts, lists and immutable scalars, so nothing else needs copying)."""
    if isinstance(node, list):
        return [_rewritten(item, origin) for item in node]
    if not isinstance(node, dict):
        return node
    copied = {key: _rewritten(value, origin) if isinstance(value, dict | list) else value
              for key, value in node.items()}
    reference = copied.get("reference")
    if isinstance(reference, str):
        local = local_reference(reference, origin)
        copied["reference"] = local if local is not None else reference
    return copied


def to_mirror(resource: dict[str, Any], pulled: PulledVersion) -> dict[str, Any]:
    """The local mirror of a pulled version: its id, ``meta.source`` and references local."""
    mirror = rewrite_references(resource, pulled.origin)
    mirror["id"] = pulled.local_id
    meta = {k: v for k, v in mirror.get("meta", {}).items()
            if k not in ("versionId", "lastUpdated", "source")}
    mirror["meta"] = {**meta, "source": source(pulled.origin, pulled.remote_version)}
    return mirror


def to_relayed(resource: dict[str, Any], peer: str) -> dict[str, Any]:
    """The local copy of a record ``peer`` holds as a mirror of another origin: id, source and
    references kept, tagged as relayed by ``peer`` (replacing a tag of an earlier hop)."""
    relayed = copy.deepcopy(resource)
    meta = {k: v for k, v in relayed.get("meta", {}).items()
            if k not in ("versionId", "lastUpdated")}
    tags = [t for t in meta.get("tag") or [] if not relayed_by(t)]
    meta["tag"] = [*tags, {"system": RELAYED_BY, "code": normalize_base(peer)}]
    relayed["meta"] = meta
    return relayed


def relayed_by(tag: Any) -> str | None:
    """The peer base a ``relayed-by`` tag names (None for any other tag)."""
    if isinstance(tag, dict) and tag.get("system") == RELAYED_BY:
        code = tag.get("code")
        return code if isinstance(code, str) else None
    return None


def relay_of(resource: dict[str, Any]) -> str | None:
    """The peer a relayed record came through (None: pulled from its origin, or local)."""
    return next((base for t in (resource.get("meta") or {}).get("tag") or []
                 if (base := relayed_by(t))), None)


@dataclass(frozen=True)
class Agent:
    """A node as a Provenance agent: its FHIR base, its name, and its Endpoint when it has one."""

    base: str
    name: str
    endpoint: str | None = None  # "Endpoint/<id>" on this node


def provenance(pulled: PulledVersion, local_version: str, peer: Agent, node: Agent, *,
               recorded: str, operation: str = "UPDATE") -> dict[str, Any]:
    """The Provenance of the local version ``local_version`` of the mirror of ``pulled``."""
    if operation not in OPERATIONS:
        raise ValueError(f"operation must be one of {', '.join(OPERATIONS)}, not {operation!r}")
    target = f"{pulled.res_type}/{pulled.local_id}/_history/{local_version}"
    return {
        "resourceType": "Provenance",
        "id": provenance_id(pulled),
        "target": [{"reference": target}],
        "recorded": recorded,
        "activity": {"coding": [{"system": DATA_OPERATION, "code": operation}]},
        "agent": [_agent(peer, "custodian"), _agent(node, "assembler")],
        "entity": [{"role": "source", "what": {"reference": pulled.remote_reference}}],
    }


def _agent(agent: Agent, role: str) -> dict[str, Any]:
    who: dict[str, Any] = {
        "identifier": {"system": URI_SYSTEM, "value": normalize_base(agent.base)},
        "display": agent.name,
    }
    if agent.endpoint:
        who["extension"] = [{"url": ALTERNATE_REFERENCE,
                             "valueReference": {"reference": agent.endpoint}}]
    return {"type": {"coding": [{"system": PARTICIPANT_TYPE, "code": role}]}, "who": who}
