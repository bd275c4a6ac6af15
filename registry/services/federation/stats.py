"""The system operation ``$stats``: how many directory records per country or per origin node,
in one request, under the same policy as search.

It answers what ``_summary=count`` would answer for each value, without one search per
value: the counts come from ``FhirService.count_by`` (the search's matches grouped by their
index rows, scoped like the search). A record's origin is the base in its ``meta.source``
(what ``_source`` filters; a mirror's source also carries ``#`` and the remote version, which
is dropped); a record without one was written here and counts under this node's base.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from registry.errors import InvalidRequest
from registry.services.federation.mirror import normalize_base, parse_source
from registry.services.fhir import FhirService

TYPES = ("Organization", "Location", "HealthcareService")
# ``by`` -> (search parameter grouped by, FHIR type of the value in the answer)
GROUPINGS = {"country": ("country", "valueString"), "origin": ("_source", "valueUri")}
OWN = ("type", "by")  # the operation's own parameters; every other one is a search parameter


def stats(service: FhirService, params: Mapping[str, list[str]]) -> dict[str, Any]:
    """A Parameters resource: ``total``, then one ``group`` per value of ``by`` (parts
    ``by``, ``value`` (absent for records without one) and ``count``).

    The first ``type`` is the resource type counted; Organization and Location also have a
    search parameter ``type``, whose values follow it."""
    types = params.get("type", [])
    res_type = _one(types[:1], "type", TYPES)
    by = _one(params["by"], "by", tuple(GROUPINGS)) if "by" in params else None
    search = {k: v for k, v in params.items() if k not in OWN}
    if len(types) > 1:  # the first names the resource type; the rest search its ``type``
        search["type"] = types[1:]
    total: int = sum(service.count_by(res_type, search, []).values())
    parameter: list[dict[str, Any]] = [{"name": "total", "valueInteger": total}]
    if by is not None:
        code, value_type = GROUPINGS[by]
        counts = service.count_by(res_type, search, [code])
        if by == "origin":
            counts = _by_origin(counts, service.ctx.base_url)
        parameter += [_group(by, value, value_type, count)
                      for (value,), count in sorted(counts.items(), key=_order)]
    return {"resourceType": "Parameters", "parameter": parameter}


def _one(values: list[str], name: str, allowed: tuple[str, ...]) -> str:
    if len(values) != 1 or values[0] not in allowed:
        raise InvalidRequest(f"$stats takes one {name}, one of {', '.join(allowed)}", name)
    return values[0]


def _by_origin(counts: Mapping[tuple[Any, ...], int], own_base: str
               ) -> dict[tuple[Any, ...], int]:
    """Counts per origin base: a source's versions folded together, local records under
    this node. A record holds one ``meta.source``, so the sums count each record once."""
    folded: Counter[tuple[Any, ...]] = Counter()
    for (source,), count in counts.items():
        folded[(parse_source(source)[0] if source else normalize_base(own_base),)] += count
    return dict(folded)


def _order(item: tuple[tuple[Any, ...], int]) -> tuple[int, str]:
    (value,), _ = item
    return (1, "") if value is None else (0, str(value))


def _group(by: str, value: Any, value_type: str, count: int) -> dict[str, Any]:
    part: list[dict[str, Any]] = [{"name": "by", "valueCode": by}]
    if value is not None:
        part.append({"name": "value", value_type: str(value)})
    part.append({"name": "count", "valueInteger": count})
    return {"name": "group", "part": part}
