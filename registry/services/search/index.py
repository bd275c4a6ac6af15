"""Turn a resource into search-index rows, one list per index table.

Each parameter's extractor selects JSON nodes; the node's shape (a CodeableConcept has
``coding``, a Period has ``start``/``end``, ...) decides how it becomes rows of the parameter's
type. Rows carry no ``resource_pk``: the store adds it when it knows it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from registry.services.search.parameters import SearchParameterRegistry
from registry.storage.search.references import parse_reference
from registry.storage.values import (
    MAX_TIME,
    MIN_TIME,
    clip,
    date_range,
    fold,
)

Row = dict[str, Any]
CONTACT_SYSTEMS = frozenset({"phone", "fax", "email", "pager", "url", "sms", "other"})
NAME_PARTS = ("text", "family", "given", "prefix", "suffix")
ADDRESS_PARTS = ("text", "line", "city", "district", "state", "postalCode", "country")


def index_rows(resource: dict[str, Any], registry: SearchParameterRegistry,
               base_url: str) -> dict[str, list[Row]]:
    """All index rows of ``resource``, grouped by index kind, without duplicates."""
    res_type = resource["resourceType"]
    rows: dict[str, list[Row]] = {}
    for param in registry.all_for(res_type):
        seen: set[tuple[Any, ...]] = set()
        target = rows.setdefault(param.index_kind, [])
        for node in param.extract(resource):
            for values in ROW_BUILDERS[param.index_kind](node, base_url):
                key = tuple(values.values())
                if key not in seen:
                    seen.add(key)
                    target.append({"res_type": res_type, "param": param.code, **values})
    return {kind: found for kind, found in rows.items() if found}


def _strings(node: Any, _base: str) -> Iterator[Row]:
    for text in _string_parts(node):
        if text.strip():
            yield {"value": fold(text), "exact": clip(text)}


def _string_parts(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        parts = NAME_PARTS if ("family" in node or "given" in node) else ADDRESS_PARTS
        for part in parts:
            value = node.get(part)
            if isinstance(value, list):
                yield from (v for v in value if isinstance(v, str))
            elif isinstance(value, str):
                yield value


def _tokens(node: Any, _base: str) -> Iterator[Row]:
    if isinstance(node, bool):
        yield _token(None, "true" if node else "false", None)
    elif isinstance(node, str | int | float):
        yield _token(None, str(node), None)
    elif isinstance(node, dict):
        yield from _complex_tokens(node)


def _complex_tokens(node: dict[str, Any]) -> Iterator[Row]:
    if "coding" in node or ("text" in node and "code" not in node and "value" not in node):
        text = node.get("text")
        for coding in node.get("coding") or []:
            yield _token(coding.get("system"), coding.get("code"),
                         text or coding.get("display"))
        if text and not node.get("coding"):
            yield _token(None, None, text)
    elif "value" in node and not isinstance(node.get("value"), int | float):
        system = node.get("system")
        if system in CONTACT_SYSTEMS:
            system = None
        type_text = (node.get("type") or {}).get("text")
        yield _token(system, node.get("value"), type_text)
    elif "code" in node or "system" in node:
        yield _token(node.get("system"), node.get("code"), node.get("display"))


def _token(system: str | None, code: Any, text: str | None) -> Row:
    return {
        "system": clip(system) if system else None,
        "code": clip(str(code)) if code is not None else None,
        "text": fold(text) if text else None,
    }


def _references(node: Any, base: str) -> Iterator[Row]:
    if isinstance(node, str):  # canonical or uri
        yield {"target_type": None, "target_id": None, "url": clip(node.split("|")[0])}
    elif isinstance(node, dict) and isinstance(node.get("reference"), str):
        yield parse_reference(node["reference"], base)


def _dates(node: Any, _base: str) -> Iterator[Row]:
    if isinstance(node, str):
        span = date_range(node)
        if span:
            yield {"low": span[0], "high": span[1]}
    elif isinstance(node, dict) and ("start" in node or "end" in node):
        start = date_range(node["start"]) if "start" in node else None
        end = date_range(node["end"]) if "end" in node else None
        yield {"low": start[0] if start else MIN_TIME, "high": end[1] if end else MAX_TIME}


def _numbers(node: Any, _base: str) -> Iterator[Row]:
    if isinstance(node, int | float) and not isinstance(node, bool):
        yield {"low": float(node), "high": float(node)}


def _quantities(node: Any, _base: str) -> Iterator[Row]:
    if isinstance(node, dict) and isinstance(node.get("value"), int | float):
        value = float(node["value"])
        code = node.get("code") or node.get("unit")
        yield {"system": node.get("system"), "code": clip(code) if code else None,
               "low": value, "high": value}


def _uris(node: Any, _base: str) -> Iterator[Row]:
    if isinstance(node, str):
        yield {"value": clip(node)}


def _positions(node: Any, _base: str) -> Iterator[Row]:
    if isinstance(node, dict):
        lat, lon = node.get("latitude"), node.get("longitude")
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            yield {"latitude": float(lat), "longitude": float(lon)}


ROW_BUILDERS: dict[str, Callable[[Any, str], Iterator[Row]]] = {
    "string": _strings,
    "token": _tokens,
    "reference": _references,
    "date": _dates,
    "number": _numbers,
    "quantity": _quantities,
    "uri": _uris,
    "position": _positions,
}


