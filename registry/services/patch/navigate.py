"""Evaluating a parsed patch path against a resource held as plain JSON.

Each match is a ``Node`` that remembers where it lives (owning object, property name,
position), so an operation can change the resource in place after selecting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry.services.patch import properties
from registry.services.patch.elements import Model, Slot, model_of, slots, type_model, variants
from registry.services.patch.fhirpath import (
    Call,
    Compare,
    Expression,
    Index,
    Literal,
    Logic,
    Member,
    Operand,
    Path,
)


class PathTypeMismatch(ValueError):
    """The path starts with a type other than the resource's own."""


@dataclass(frozen=True)
class Node:
    """One selected element and the place it is stored."""

    value: Any
    model: Model | None
    owner: dict[str, Any] | None = None  # None only for the resource itself
    owner_model: Model | None = None
    key: str = ""
    index: int | None = None  # position when the property is a JSON array

    @property
    def slot(self) -> Slot | None:
        return slots(self.owner_model).get(self.key) if self.owner_model else None

    @property
    def repeats(self) -> bool:
        slot = self.slot
        return slot.repeats if slot else self.index is not None


def _keys(node: Node, name: str) -> list[str]:
    """The JSON names that ``name`` selects: itself, or the present value[x] variant."""
    data = node.value
    if name in data or "_" + name in data or node.model is None:
        return [name]
    return [s.name for s in variants(node.model, name) if s.name in data or "_" + s.name in data]


def children(node: Node, name: str) -> list[Node]:
    if not isinstance(node.value, dict):
        return []
    found = []
    for key in _keys(node, name):
        slot = slots(node.model).get(key) if node.model else None
        listed = properties.is_listed(node.value, key)
        for i, (value, _) in enumerate(properties.read(node.value, key)):
            model = model_of(value, slot.model if slot else None)
            found.append(Node(value, model, node.value, node.model, key, i if listed else None))
    return found


def _equal(left: Any, right: Any) -> bool:
    """FHIRPath equality of two single values; booleans never equal numbers."""
    return isinstance(left, bool) == isinstance(right, bool) and left == right


def _values(operand: Operand, node: Node) -> list[Any]:
    if isinstance(operand, Literal):
        return [operand.value]
    return [n.value for n in evaluate(operand, [node])]


def holds(criteria: Expression, node: Node) -> bool:
    """Whether ``where(criteria)`` keeps ``node``; an empty result counts as false."""
    if isinstance(criteria, Logic):
        if criteria.operator == "and":
            return holds(criteria.left, node) and holds(criteria.right, node)
        return holds(criteria.left, node) or holds(criteria.right, node)
    if isinstance(criteria, Compare):
        left, right = _values(criteria.left, node), _values(criteria.right, node)
        if not left or not right:
            return False
        same = len(left) == len(right) and all(map(_equal, left, right))
        return same if criteria.operator == "=" else not same
    return [n.value for n in evaluate(criteria, [node])] == [True]


def _step(step: Member | Index | Call, nodes: list[Node]) -> list[Node]:
    if isinstance(step, Member):
        return [child for node in nodes for child in children(node, step.name)]
    if isinstance(step, Index):
        return nodes[step.position:step.position + 1]
    if step.name == "first":
        return nodes[:1]
    if step.name == "last":
        return nodes[-1:]
    criteria = step.criteria
    return [node for node in nodes if criteria is None or holds(criteria, node)]


def evaluate(path: Path, context: list[Node]) -> list[Node]:
    for step in path:
        context = _step(step, context)
    return context


def select(resource: dict[str, Any], path: Path) -> list[Node]:
    """Evaluate ``path`` on the resource; a leading type name must be the resource's."""
    resource_type = resource.get("resourceType")
    root = Node(resource, type_model(resource_type) if isinstance(resource_type, str) else None)
    first = path[0] if path else None
    if isinstance(first, Member) and first.name[:1].isupper():
        if first.name != resource_type:
            raise PathTypeMismatch(f"The path is for {first.name}, not {resource_type}")
        path = path[1:]
    return evaluate(path, [root])
