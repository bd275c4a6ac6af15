"""RFC 6902 JSON Patch, applied one operation at a time so errors can name the operation.

Diagnostics never quote values from the patch or the resource (a failed ``test`` would
otherwise echo data back); they give the operation index, its op and its JSON pointer.
"""

from __future__ import annotations

import copy
from typing import Any, cast

import jsonpatch
import jsonpointer

from registry.errors import InvalidRequest, Unprocessable
from registry.services.patch.guard import identity_change

_NEEDS_FROM = frozenset({"move", "copy"})


def _label(index: int, operation: dict[str, Any]) -> str:
    return f"JSON Patch operation {index} ({operation.get('op')} {operation.get('path')})"


def _compile(index: int, operation: Any) -> jsonpatch.JsonPatch:
    """One operation as a ``JsonPatch``, or ``InvalidRequest`` if it is malformed."""
    if not isinstance(operation, dict) or not isinstance(operation.get("path"), str):
        raise InvalidRequest(f"JSON Patch operation {index} must be an object with a path")
    try:
        if operation.get("op") in _NEEDS_FROM:
            jsonpointer.JsonPointer(operation["from"])
        return jsonpatch.JsonPatch([operation])
    except (KeyError, TypeError, AttributeError, jsonpatch.InvalidJsonPatch,
            jsonpointer.JsonPointerException):
        raise InvalidRequest(f"{_label(index, operation)} is malformed") from None


def _apply(document: Any, step: jsonpatch.JsonPatch, label: str) -> Any:
    try:
        return step.apply(document, in_place=True)
    except jsonpatch.JsonPatchTestFailed:
        raise Unprocessable(f"{label}: test failed") from None
    except (jsonpatch.JsonPatchConflict, jsonpointer.JsonPointerException):
        raise Unprocessable(f"{label}: the path does not exist") from None
    except jsonpatch.InvalidJsonPatch:
        raise InvalidRequest(f"{label} is malformed") from None


def apply_json_patch(resource: dict[str, Any], operations: Any) -> dict[str, Any]:
    """Apply an RFC 6902 patch to a copy of ``resource``; all or nothing."""
    if not isinstance(operations, list):
        raise InvalidRequest("A JSON Patch body must be an array of operations")
    operations = copy.deepcopy(operations)  # jsonpatch inserts its values by reference
    steps = [_compile(i, op) for i, op in enumerate(operations)]
    patched: Any = copy.deepcopy(resource)
    for index, (operation, step) in enumerate(zip(operations, steps, strict=True)):
        label = _label(index, operation)
        patched = _apply(patched, step, label)
        problem = identity_change(resource, patched)
        if problem:
            raise Unprocessable(f"{label}: {problem}")
    return cast(dict[str, Any], patched)
