"""FHIRPath Patch: the add, insert, delete, replace and move operations of FHIR R4.

Every operation except delete must select exactly one element (delete of nothing is a
no-op); insert and move address a repeating element by its path and change it by
position. Path and type problems are 422s that name ``Parameters.parameter[i]``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, cast

from registry.errors import Unprocessable
from registry.services.patch import properties
from registry.services.patch.elements import Slot, slots, variants
from registry.services.patch.fhirpath import Member, Path
from registry.services.patch.guard import identity_change
from registry.services.patch.navigate import Node, PathTypeMismatch, select
from registry.services.patch.operations import Operation, read_operations
from registry.services.patch.values import check_type, choice_slot, member, read_value


def _select(resource: dict[str, Any], path: Path, op: Operation) -> list[Node]:
    try:
        return select(resource, path)
    except PathTypeMismatch as exc:
        raise Unprocessable(str(exc), op.at("path")) from None


def _one(nodes: list[Node], op: Operation) -> Node:
    if len(nodes) != 1:
        found = f"{len(nodes)} elements" if nodes else "no element"
        raise Unprocessable(f"The path matches {found}; '{op.type}' needs exactly one",
                            op.at("path"))
    return nodes[0]


def _single(resource: dict[str, Any], path: Path, op: Operation) -> Node:
    return _one(_select(resource, path, op), op)


def _owner(node: Node, op: Operation) -> dict[str, Any]:
    if node.owner is None:
        raise Unprocessable(f"'{op.type}' cannot target the resource itself", op.at("path"))
    return node.owner


def _delete(resource: dict[str, Any], op: Operation) -> None:
    nodes = _select(resource, op.path, op)
    if not nodes:
        return  # the spec makes deleting an absent element a no-op
    node = _one(nodes, op)
    owner = _owner(node, op)
    items = properties.read(owner, node.key)
    del items[node.index or 0]
    properties.write(owner, node.key, items, node.repeats)


def _replace(resource: dict[str, Any], op: Operation) -> None:
    node = _single(resource, op.path, op)
    owner, slot = _owner(node, op), node.slot
    value = read_value(op.value or {}, node.model, op.at("value"))
    if slot is not None and slot.choice and value.type_name and node.owner_model:
        slot = choice_slot(node.owner_model, slot.choice, value.type_name, op.at("value"))
    if slot is not None:
        check_type(slot, value, op.at("value"))
    if slot is not None and slot.name != node.key:  # value[x] switches to another type
        properties.write(owner, node.key, [], repeats=False)
        properties.write(owner, slot.name, [value.item], repeats=False)
        return
    items = properties.read(owner, node.key)
    items[node.index or 0] = value.item
    properties.write(owner, node.key, items, node.repeats)


def _occupied(node: Node, key: str, slot: Slot | None) -> bool:
    """Whether ``node`` already has element ``key`` (or another variant of its value[x])."""
    names = [key]
    if slot is not None and slot.choice and node.model is not None:
        names = [v.name for v in variants(node.model, slot.choice)]
    return any(n in node.value or "_" + n in node.value for n in names)


def _add(resource: dict[str, Any], op: Operation) -> None:
    node = _single(resource, op.path, op)
    if not isinstance(node.value, dict):
        raise Unprocessable("'add' needs a path to an element that has children",
                            op.at("path"))
    base = op.name.removesuffix("[x]")
    if node.model and op.name not in slots(node.model) and not variants(node.model, base):
        raise Unprocessable(f"{node.model.__name__} has no element '{op.name}'", op.at("name"))
    key, slot, value = member(node.model, op.name, op.value or {}, op.at("value"))
    repeats = slot.repeats if slot else properties.is_listed(node.value, key)
    if not repeats and _occupied(node, key, slot):
        raise Unprocessable(f"'{key}' already has a value; use 'replace'", op.at("name"))
    items = properties.read(node.value, key) + [value.item]
    properties.write(node.value, key, items, repeats)


def _collection(resource: dict[str, Any], op: Operation) -> tuple[Node, Slot]:
    """The element holding the list that insert/move address, and that list's slot."""
    last = op.path[-1]
    if not isinstance(last, Member):
        raise Unprocessable(f"'{op.type}' needs a path ending in a list element",
                            op.at("path"))
    parent = _single(resource, op.path[:-1], op)
    slot = slots(parent.model).get(last.name) if parent.model else None
    if slot is None or not slot.repeats or not isinstance(parent.value, dict):
        raise Unprocessable(f"'{last.name}' is not a repeating element here", op.at("path"))
    return parent, slot


def _insert(resource: dict[str, Any], op: Operation) -> None:
    parent, slot = _collection(resource, op)
    value = read_value(op.value or {}, slot.model, op.at("value"))
    check_type(slot, value, op.at("value"))
    items = properties.read(parent.value, slot.name)
    if op.index > len(items):
        raise Unprocessable(f"Index {op.index} is past the end of a list of {len(items)}",
                            op.at("index"))
    items.insert(op.index, value.item)
    properties.write(parent.value, slot.name, items, repeats=True)


def _move(resource: dict[str, Any], op: Operation) -> None:
    parent, slot = _collection(resource, op)
    items = properties.read(parent.value, slot.name)
    for part, position in (("source", op.source), ("destination", op.destination)):
        if position >= len(items):
            raise Unprocessable(f"The {part} index {position} is outside a list of "
                                f"{len(items)}", op.at(part))
    items.insert(op.destination, items.pop(op.source))
    properties.write(parent.value, slot.name, items, repeats=True)


_APPLY: dict[str, Callable[[dict[str, Any], Operation], None]] = {
    "add": _add, "insert": _insert, "delete": _delete, "replace": _replace, "move": _move,
}


def apply_fhirpath_patch(resource: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """Apply a FHIRPath Patch ``Parameters`` body to a copy of ``resource``; all or nothing."""
    operations = read_operations(copy.deepcopy(parameters))  # values get spliced in
    patched = copy.deepcopy(resource)
    for operation in operations:
        _APPLY[operation.type](patched, operation)
        problem = identity_change(resource, patched)
        if problem:
            raise Unprocessable(problem, operation.where)
    return cast(dict[str, Any], properties.prune_empty(patched))
