"""Suspected duplicates across nodes, and the review-queue Task of each pair.

Records are matched across origins, never by ``resource.id`` (HL7 NDH), in two ways:

- the same business identifier: ``system|key`` with the system trimmed of a final ``/`` and
  the value's key without spaces, hyphens, dots, slashes, underscores or colons and with ASCII
  letters lower-cased (``identifier_key``: "HUB-001", "hub 001" and "HUB.001" are one; an
  identifier without a system matches nothing: a bare "1" would match every hub);
- the same organization or site registered by two hubs: the same normalized name (accents,
  case and punctuation ignored) in the same country, with positions within a small distance
  (1 km by default). Both need a position; an Organization takes the position of a Location
  it manages (``positions_by_organization``).

Only records of the same type from different origins are paired; nothing is ever merged. Each
pair waits as a ``Task`` (code ``duplicate-review``) whose id is the pair's id, the same for
the same two records in either order: ``focus`` is record A, the first input record B.
Resolving it (``--keep A|B|both``) completes the Task with its decision as output; the write
step of ``review`` reads ``hidden_reference`` to hide the dropped copy from this node's searches.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from registry.errors import Conflict, InvalidRequest, Unprocessable
from registry.storage.tables import identifier_key

TASK_CODE_SYSTEM = "https://telementoring.example.org/fhir/CodeSystem/task-code"
TASK_INPUT_SYSTEM = "https://telementoring.example.org/fhir/CodeSystem/duplicate-review-part"
REVIEW_CODE = "duplicate-review"
KEEP_CODES = {"A": "keep-a", "B": "keep-b", "both": "keep-both"}
DEFAULT_DISTANCE_M = 1000.0
EARTH_RADIUS_M = 6_371_008.8
NAMED_TYPES = ("Organization", "Location")
NOT_WORD = re.compile(r"[^0-9a-z]+")
Keep = Literal["A", "B", "both"]
Position = tuple[float, float]  # latitude, longitude in degrees


@dataclass(frozen=True)
class Record:
    """What matching needs of one record: where it is, where it came from, what names it."""

    reference: str  # local "Type/id"
    origin: str  # the origin's FHIR base (this node's own base for its own records)
    identifiers: frozenset[str] = frozenset()
    name: str = ""
    country: str = ""
    position: Position | None = None

    @property
    def res_type(self) -> str:
        return self.reference.partition("/")[0]


@dataclass(frozen=True)
class CandidatePair:
    """Two records from different origins that may be one, with why they were paired."""

    a: Record
    b: Record
    reasons: tuple[str, ...]

    @property
    def id(self) -> str:
        return pair_id(self.a.reference, self.b.reference)


def record_of(resource: Mapping[str, Any], origin: str,
              position: Position | None = None) -> Record:
    """The matching keys of a resource (its own position wins over the one passed)."""
    reference = f"{resource['resourceType']}/{resource['id']}"
    return Record(reference, origin, identifier_keys(resource),
                  normalized_name(str(resource.get("name") or "")), _country(resource),
                  _position(resource) or position)


def identifier_keys(resource: Mapping[str, Any]) -> frozenset[str]:
    """Each business identifier as a normalized ``system|value``."""
    keys = set()
    for identifier in _list(resource.get("identifier")):
        if not isinstance(identifier, dict):
            continue
        system, value = identifier.get("system"), identifier.get("value")
        if isinstance(system, str) and isinstance(value, str) and system.strip() and value.strip():
            keys.add(f"{system.strip().rstrip('/')}|{identifier_key(''.join(value.split()))}")
    return frozenset(keys)


def normalized_name(name: str) -> str:
    """A name with accents, case, punctuation and extra spaces taken out."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return " ".join(NOT_WORD.sub(" ", plain).split())


def positions_by_organization(locations: Iterable[Mapping[str, Any]]) -> dict[str, Position]:
    """The position of a Location each Organization manages (the first one met)."""
    positions: dict[str, Position] = {}
    for location in locations:
        managing = location.get("managingOrganization")
        reference = managing.get("reference") if isinstance(managing, dict) else None
        position = _position(location)
        if isinstance(reference, str) and position is not None:
            positions.setdefault(reference, position)
    return positions


def candidate_pairs(records: Iterable[Record],
                    max_distance_m: float = DEFAULT_DISTANCE_M) -> list[CandidatePair]:
    """Every pair of records from different origins that share an identifier, or a name and
    country with positions within ``max_distance_m``; ordered by pair id."""
    reasons: dict[tuple[Record, Record], list[str]] = defaultdict(list)
    by_identifier: dict[tuple[str, str], list[Record]] = defaultdict(list)
    by_name: dict[tuple[str, str, str], list[Record]] = defaultdict(list)
    for record in records:
        for key in record.identifiers:
            by_identifier[(record.res_type, key)].append(record)
        if record.res_type in NAMED_TYPES and record.name and record.country and record.position:
            by_name[(record.res_type, record.name, record.country)].append(record)
    for (_, key), group in by_identifier.items():
        for a, b in _across_origins(group):
            reasons[(a, b)].append(f"same identifier {key}")
    for (_, name, country), group in by_name.items():
        for a, b in _across_origins(group):
            distance = metres_between(a.position, b.position)  # type: ignore[arg-type]
            if distance <= max_distance_m:
                reasons[(a, b)].append(f"same name {name!r} in {country}, {distance:.0f} m apart")
    pairs = [CandidatePair(a, b, tuple(why)) for (a, b), why in reasons.items()]
    return sorted(pairs, key=lambda pair: pair.id)


def _across_origins(group: list[Record]) -> Iterable[tuple[Record, Record]]:
    for one, other in itertools.combinations(group, 2):
        if one.origin != other.origin and one.reference != other.reference:
            yield (one, other) if one.reference < other.reference else (other, one)


def metres_between(one: Position, other: Position) -> float:
    """Great-circle distance (haversine on a spherical Earth): good to well under 1 %."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*one, *other))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


def pair_id(one: str, other: str) -> str:
    """The id of the pair of two references, whichever comes first (the Task's id)."""
    first, second = sorted((one, other))
    return "dup-" + hashlib.sha256(f"{first}\n{second}".encode()).hexdigest()[:40]


def review_task(pair: CandidatePair, authored_on: str) -> dict[str, Any]:
    """The Task that queues ``pair`` for review: focus A, input B, the reasons as inputs."""
    inputs = [_part("duplicate", valueReference={"reference": pair.b.reference})]
    inputs += [_part("reason", valueString=reason) for reason in pair.reasons]
    return {
        "resourceType": "Task",
        "id": pair.id,
        "status": "requested",
        "intent": "proposal",
        "code": {"coding": [{"system": TASK_CODE_SYSTEM, "code": REVIEW_CODE}]},
        "description": f"Suspected duplicate: {pair.a.reference} ({pair.a.origin}) and "
                       f"{pair.b.reference} ({pair.b.origin})",
        "focus": {"reference": pair.a.reference},
        "input": inputs,
        "authoredOn": authored_on,
    }


def resolve(task: Mapping[str, Any], keep: str, when: str) -> dict[str, Any]:
    """The review Task completed with the decision to keep A, B or both (they are distinct)."""
    if keep not in KEEP_CODES:
        raise InvalidRequest(f"--keep must be A, B or both, not {keep!r}")
    pair_of(task)
    if task.get("status") != "requested":
        raise Conflict(f"duplicate pair {task.get('id')} is already {task.get('status')}")
    output = _part("resolution", valueCode=KEEP_CODES[keep])
    return {**task, "status": "completed", "lastModified": when, "output": [output]}


def pair_of(task: Mapping[str, Any]) -> tuple[str, str]:
    """References A and B of a review Task; ``Unprocessable`` for any other Task."""
    codes = [c.get("code") for c in _list(_object(task.get("code")).get("coding"))
             if isinstance(c, dict)]
    focus = _object(task.get("focus")).get("reference")
    other = next((_object(p.get("valueReference")).get("reference")
                  for p in _list(task.get("input")) if _part_code(p) == "duplicate"), None)
    if REVIEW_CODE not in codes or not isinstance(focus, str) or not isinstance(other, str):
        raise Unprocessable(f"Task {task.get('id')} is not a duplicate-review Task")
    return focus, other


def resolution_of(task: Mapping[str, Any]) -> Keep | None:
    """The decision recorded on a review Task: A, B, both, or None while it waits."""
    for part in _list(task.get("output")):
        if _part_code(part) == "resolution":
            for keep, code in KEEP_CODES.items():
                if part.get("valueCode") == code:
                    return keep  # type: ignore[return-value]
    return None


def hidden_reference(task: Mapping[str, Any]) -> str | None:
    """The copy a resolved pair hides from this node's searches (None: both stay visible)."""
    decision = resolution_of(task)
    if decision is None or decision == "both":
        return None
    a, b = pair_of(task)
    return b if decision == "A" else a


def _part(code: str, **value: Any) -> dict[str, Any]:
    return {"type": {"coding": [{"system": TASK_INPUT_SYSTEM, "code": code}]}, **value}


def _part_code(part: Any) -> str | None:
    codings = _list(_object(_object(part).get("type")).get("coding"))
    code = _object(codings[0]).get("code") if codings else None
    return code if isinstance(code, str) else None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _country(resource: Mapping[str, Any]) -> str:
    addresses = resource.get("address")
    for address in addresses if isinstance(addresses, list) else [addresses]:
        if isinstance(address, dict) and isinstance(address.get("country"), str):
            return str(address["country"]).strip().upper()
    return ""


def _position(resource: Mapping[str, Any]) -> Position | None:
    position = resource.get("position")
    if not isinstance(position, dict):
        return None
    lat, lon = position.get("latitude"), position.get("longitude")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return float(lat), float(lon)
    return None
