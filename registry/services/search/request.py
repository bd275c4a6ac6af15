"""Parse FHIR search parameters into a ``SearchQuery`` (no SQL here).

Repetition of a parameter is AND, a comma inside one value is OR (``\\,`` escapes a comma).
Unknown parameters are reported back (lenient handling, the default) or refused with 400
(``Prefer: handling=strict``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from registry.errors import InvalidRequest
from registry.storage.search.model import (
    Chain,
    Criterion,
    Include,
    ReverseChain,
    SearchParameter,
    SearchQuery,
)

if TYPE_CHECKING:  # the node holds the parameters this module reads
    from registry.services.node import Node

# _contained and _containedType are not supported: like any unknown parameter they are
# reported as ignored (or refused under strict handling), never silently dropped.
RESULT_PARAMETERS = frozenset({
    "_count", "_offset", "_sort", "_include", "_revinclude", "_summary", "_total",
    "_elements", "_format", "_pretty",
})
# How a response is written, not what it holds: never echoed in a searchset's links.
FORMAT_PARAMETERS = ("_format", "_pretty")
MODIFIERS: dict[str, frozenset[str]] = {
    "string": frozenset({"exact", "contains", "missing"}),
    "token": frozenset({"not", "text", "missing"}),
    "reference": frozenset({"missing"}),  # plus a resource type (":Organization")
    "date": frozenset({"missing"}),
    "number": frozenset({"missing"}),
    "quantity": frozenset({"missing"}),
    "uri": frozenset({"missing", "below", "above"}),
    "special": frozenset({"missing"}),
}
_SPLIT = re.compile(r"(?<!\\),")


def split_values(raw: str) -> tuple[str, ...]:
    return tuple(v.replace("\\,", ",") for v in _SPLIT.split(raw) if v != "")


def parse_search(res_type: str, params: Mapping[str, list[str]], node: Node, *,
                 strict: bool = False) -> SearchQuery:
    query = SearchQuery(res_type=res_type, count=node.default_count)
    for name, values in params.items():
        for raw in values:
            if name in RESULT_PARAMETERS:
                _result_parameter(query, name, raw, node)
            elif not _criterion(query, name, raw, node):
                if strict:
                    raise InvalidRequest(f"Unknown search parameter {name!r} for {res_type}",
                                         name)
                query.ignored.append(name)
    return query


def _criterion(query: SearchQuery, name: str, raw: str, node: Node) -> bool:
    """Add the criterion for ``name``; False when the parameter is unknown."""
    if name.startswith("_has:"):
        query.criteria.append(_reverse_chain(query.res_type, name, raw, node))
        return True
    if "." in name.split(":")[0]:
        chained = _chained(query.res_type, name, raw, node)
        if chained:
            query.criteria.append(chained)
        return chained is not None
    code, _, modifier = name.partition(":")
    param = node.search_parameters.get(query.res_type, code)
    if param is None:
        return False
    query.criteria.append(_make(param, modifier or None, raw, query.res_type, node))
    return True


def _make(param: SearchParameter, modifier: str | None, raw: str, res_type: str,
          node: Node, **extra: object) -> Criterion:
    allowed = MODIFIERS.get(param.type, frozenset())
    type_modifier = param.type == "reference" and node.supports(modifier or "")
    if modifier and modifier not in allowed and not type_modifier:
        raise InvalidRequest(f"Modifier :{modifier} is not supported on {param.code} "
                                 f"({param.type})", f"{param.code}:{modifier}")
    if modifier == "missing" and raw not in ("true", "false"):
        raise InvalidRequest(f"{param.code}:missing takes true or false", param.code)
    values = split_values(raw)
    if not values:
        raise InvalidRequest(f"Search parameter {param.code} has an empty value", param.code)
    return Criterion(param, modifier, values, res_type, **extra)  # type: ignore[arg-type]


def _chained(res_type: str, name: str, raw: str, node: Node) -> Criterion | None:
    head, _, tail = name.partition(".")
    ref_code, _, type_modifier = head.partition(":")
    reference = node.search_parameters.get(res_type, ref_code)
    if reference is None or reference.type != "reference":
        return None
    targets = (type_modifier,) if type_modifier else reference.targets
    targets = tuple(t for t in targets if node.supports(t))
    if tail.startswith("_has:") and len(targets) == 1:
        reverse = _reverse_chain(targets[0], tail, raw, node)
        return replace(reverse, chain=Chain(reference, targets, res_type))
    code, _, modifier = tail.partition(":")
    if "." in code:
        raise InvalidRequest("Only one level of chaining is supported", name)
    found = [(t, p) for t in targets
             if (p := node.search_parameters.get(t, code)) is not None]
    if not found:
        raise InvalidRequest(f"Chained parameter {code!r} is not defined on {', '.join(targets)}",
                             name)
    target_type, param = found[0]
    chain = Chain(reference, tuple(t for t, _ in found), res_type)
    return _make(param, modifier or None, raw, target_type, node, chain=chain)


def _reverse_chain(res_type: str, name: str, raw: str, node: Node) -> Criterion:
    parts = name.split(":")
    if len(parts) != 4:
        raise InvalidRequest("_has takes the form _has:Type:reference:parameter", name)
    _, source_type, ref_code, code = parts
    reference = node.search_parameters.get(source_type, ref_code)
    if not node.supports(source_type) or reference is None or reference.type != "reference":
        raise InvalidRequest(f"_has: {source_type}.{ref_code} is not a reference parameter",
                             name)
    code, _, modifier = code.partition(":")
    param = node.search_parameters.get(source_type, code)
    if param is None:
        raise InvalidRequest(f"_has: {code!r} is not a parameter of {source_type}", name)
    return _make(param, modifier or None, raw, source_type, node,
                 reverse=ReverseChain(source_type, ref_code))


def _result_parameter(query: SearchQuery, name: str, raw: str, node: Node) -> None:
    if name == "_count":
        query.count = min(_non_negative(raw, name), node.max_count)
    elif name == "_offset":
        query.offset = _non_negative(raw, name)
    elif name == "_sort":
        query.sort = [_sort_key(query.res_type, key, node) for key in raw.split(",") if key]
    elif name == "_include":
        query.includes.append(_include(raw, node, name))
    elif name == "_revinclude":
        query.revincludes.append(_include(raw, node, name))
    elif name == "_summary":
        if raw not in ("true", "false", "text", "data", "count"):
            raise InvalidRequest("_summary must be true, false, text, data or count", name)
        query.summary = raw
    elif name == "_total":
        if raw not in ("none", "estimate", "accurate"):
            raise InvalidRequest("_total must be none, estimate or accurate", name)
        query.total = raw
    elif name == "_elements":
        query.elements = [e.strip() for e in raw.split(",") if e.strip()]


MAX_OFFSET = 2**31 - 1


def _non_negative(raw: str, name: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_OFFSET:
        raise InvalidRequest(f"{name} must be an integer from 0 to {MAX_OFFSET}, got {raw!r}",
                             name)
    return int(raw)


def _sort_key(res_type: str, key: str, node: Node) -> tuple[str, bool, str | None]:
    descending = key.startswith("-")
    code = key.lstrip("-")
    if code in ("_id", "_lastUpdated"):
        return code, descending, None
    param = node.search_parameters.get(res_type, code)
    if param is None:
        raise InvalidRequest(f"Cannot sort by unknown parameter {code!r}", "_sort")
    return code, descending, param.index_kind


def _include(raw: str, node: Node, name: str) -> Include:
    value, iterate = raw, False
    parts = value.split(":")
    if parts[-1] in ("iterate", "recurse"):
        parts, iterate = parts[:-1], True
    if len(parts) not in (2, 3) or not node.supports(parts[0]):
        raise InvalidRequest(f"{name} must be Type:parameter[:TargetType], got {raw!r}", name)
    source, code = parts[0], parts[1]
    if code != "*":
        param = node.search_parameters.get(source, code)
        if param is None or param.type != "reference":
            raise InvalidRequest(f"{name}: {source}:{code} is not a reference parameter", name)
    target = parts[2] if len(parts) == 3 else None
    return Include(source, None if code == "*" else code, target, iterate)
