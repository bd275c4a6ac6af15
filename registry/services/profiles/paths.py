"""Walking a resource's JSON along an ElementDefinition path while keeping the FHIRPath
expression of every value found, so each issue can name its element with indices
(``Organization.address[0].country``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Node:
    """A value inside a resource and the FHIRPath expression that reaches it."""

    expr: str
    value: Any


def absent(value: Any) -> bool:
    """FHIR JSON never carries empty values; treat null, '', [] and {} as missing."""
    return value is None or value == "" or value == [] or value == {}


def _key(value: dict[str, Any], name: str) -> tuple[str, str] | None:
    """(json key, FHIRPath name) for an element; ``value[x]`` matches ``valueCoding`` etc."""
    if not name.endswith("[x]"):
        return (name, name) if name in value else None
    stem = name[:-3]
    for key in value:
        if key.startswith(stem) and key[len(stem):len(stem) + 1].isupper():
            return key, stem
    return None


def children(node: Node, name: str) -> list[Node]:
    """The values of child element ``name`` of ``node``, each with its own expression."""
    if not isinstance(node.value, dict):
        return []
    found = _key(node.value, name)
    if found is None:
        return []
    key, label = found
    value = node.value[key]
    if absent(value):
        return []
    if isinstance(value, list):
        return [Node(f"{node.expr}.{label}[{i}]", item)
                for i, item in enumerate(value) if not absent(item)]
    return [Node(f"{node.expr}.{label}", value)]


def descend(nodes: Iterable[Node], segments: Iterable[str]) -> list[Node]:
    """Every value reached by following ``segments`` from ``nodes``."""
    current = list(nodes)
    for segment in segments:
        current = [child for node in current for child in children(node, segment)]
    return current


def child_expression(parent: Node, name: str) -> str:
    """Expression for a child that is not there (to name a missing required element)."""
    label = name[:-3] if name.endswith("[x]") else name
    return f"{parent.expr}.{label}"
