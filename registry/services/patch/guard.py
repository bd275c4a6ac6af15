"""The one rule every patch obeys: it may not turn the resource into another one.

``resourceType`` and ``id`` name the resource being patched; changing either would
write a different resource under the old address, so both patch styles check it.
"""

from __future__ import annotations

from typing import Any

IDENTITY = ("resourceType", "id")


def identity_change(before: dict[str, Any], after: Any) -> str | None:
    """Why ``after`` is no longer the resource ``before`` was, or None if it still is."""
    if not isinstance(after, dict):
        return "The patch must leave a JSON object (a resource)"
    for key in IDENTITY:
        if after.get(key) != before.get(key):
            return f"A patch may not change '{key}'"
    return None
