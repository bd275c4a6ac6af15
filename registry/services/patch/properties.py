"""Reading and writing one JSON property together with its ``_name`` extension sibling.

FHIR JSON splits a primitive into ``name`` (the value) and ``_name`` (its id and
extensions), aligned by position when the element repeats. Editing the two as one list
of (value, extension) items keeps them aligned whatever an operation does.
"""

from __future__ import annotations

from typing import Any

Item = tuple[Any, Any]  # (value, primitive extension or None)


def _at(items: list[Any], position: int) -> Any:
    return items[position] if position < len(items) else None


def is_listed(owner: dict[str, Any], key: str) -> bool:
    """Whether the property is stored as a JSON array."""
    return isinstance(owner.get(key), list) or isinstance(owner.get("_" + key), list)


def read(owner: dict[str, Any], key: str) -> list[Item]:
    """The items of ``owner[key]``: one for a single element, one per entry for a list."""
    values, extensions = owner.get(key), owner.get("_" + key)
    if values is None and extensions is None:
        return []
    if not is_listed(owner, key):
        return [(values, extensions)]
    values = values if isinstance(values, list) else []
    extensions = extensions if isinstance(extensions, list) else []
    size = max(len(values), len(extensions))
    return [(_at(values, i), _at(extensions, i)) for i in range(size)]


def _put(owner: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        owner.pop(key, None)
    else:
        owner[key] = value


def write(owner: dict[str, Any], key: str, items: list[Item], repeats: bool) -> None:
    """Store ``items`` as ``owner[key]`` (and ``_key``); no items removes the property."""
    if repeats:
        values = [v for v, _ in items]
        extensions = [e for _, e in items]
        _put(owner, key, values if any(v is not None for v in values) else None)
        _put(owner, "_" + key, extensions if any(e is not None for e in extensions) else None)
        return
    value, extension = items[0] if items else (None, None)
    _put(owner, key, value)
    _put(owner, "_" + key, extension)


def prune_empty(value: Any) -> Any:
    """Drop ``{}`` and ``[]`` left behind by deletions: FHIR JSON never holds them."""
    if isinstance(value, dict):
        pruned = {k: prune_empty(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v != {} and v != []}
    if isinstance(value, list):
        pruned_items = [prune_empty(v) for v in value]
        return [v for v in pruned_items if v != {} and v != []]
    return value
