"""Structural validation of resources with the ``fhir.resources`` R4B models.

Only the message and location of a failure are reported, never the offending input: a
rejected body may hold data that must not be echoed back or logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from registry.errors import InvalidRequest, Issue, PayloadTooLarge, error

ID_PATTERN = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
MAX_ISSUES = 20
MAX_DEPTH = 64  # FHIR resources nest a dozen levels; deeper is an attack, not data


@dataclass(frozen=True)
class BodyLimits:
    """How much work one request body may ask for, besides its size in bytes."""

    max_array_items: int = 10_000  # one array (100,000 names cost seconds to index)
    max_bundle_entries: int = 10_000  # Bundle.entry, which has its own setting


def check_body(body: Any, limits: BodyLimits) -> None:
    """400 for a body nested deeper than ``MAX_DEPTH``, holding a NUL character (no database
    stores one in text) or a null member (not FHIR JSON), 413 for an array longer than the
    limits allow. Walked
    without recursion, so no body can exhaust the stack."""
    stack: list[tuple[Any, int, str]] = [(body, 0, "")]
    while stack:
        node, depth, key = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidRequest(f"The body is nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            stack.extend((value, depth + 1, name) for name, value in node.items())
            if any("\x00" in name for name in node):
                raise InvalidRequest("The body holds a NUL character (\\u0000)")
            empty = next((name for name, value in node.items() if value is None), None)
            if empty is not None:  # FHIR JSON allows null only inside primitive arrays
                raise InvalidRequest(f"{empty} is null; leave an element out instead", empty)
        elif isinstance(node, list):
            allowed = limits.max_bundle_entries if key == "entry" else limits.max_array_items
            if len(node) > allowed:
                raise PayloadTooLarge(f"The array {key or '(top)'} has {len(node)} items; this "
                                      f"server accepts at most {allowed}")
            stack.extend((value, depth + 1, key) for value in node)
        elif isinstance(node, str) and "\x00" in node:
            raise InvalidRequest("The body holds a NUL character (\\u0000)")


@cache
def model_class(res_type: str) -> Any:
    return get_fhir_model_class(res_type)


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and bool(ID_PATTERN.match(value))


def fhirpath_of(res_type: str, loc: tuple[int | str, ...]) -> str:
    """('address', 0, 'country') -> 'Organization.address[0].country'."""
    path = res_type
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def check_structure(resource: Any) -> None:
    """Raise ``InvalidRequest`` (400) unless ``resource`` is a valid R4B resource of its type."""
    if not isinstance(resource, dict):
        raise InvalidRequest("The body must be a JSON object (a FHIR resource)")
    res_type = resource.get("resourceType")
    if not isinstance(res_type, str):
        raise InvalidRequest("The resource has no resourceType", "resourceType")
    if "id" in resource and not is_valid_id(resource["id"]):
        raise InvalidRequest("Resource id must be 1-64 characters of A-Z a-z 0-9 - .",
                             f"{res_type}.id")
    try:
        model = model_class(res_type)
    except ValueError:
        raise InvalidRequest(f"{res_type!r} is not a FHIR R4 resource type",
                             "resourceType") from None
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        raise InvalidRequest(_issues(res_type, exc)) from None


class ValidResource(dict[str, Any]):
    """A resource body ``check_structure`` has accepted: the write path does not check it again.

    Lets the API validate structure (the costliest check) before a write transaction takes the
    writer lock, so that concurrent writers validate in parallel and hold the lock only to
    write. JSON parsing never yields this type, so a client cannot skip the check.
    """


def prevalidated(body: Any) -> Any:
    """``body`` as a ``ValidResource`` when its structure is valid, otherwise unchanged: the
    write path then checks it again and reports why, exactly where it would have."""
    if not isinstance(body, dict) or isinstance(body, ValidResource):
        return body
    try:
        check_structure(body)
    except InvalidRequest:
        return body
    return ValidResource(body)


def prevalidate_entries(bundle: Any, max_entries: int) -> Any:
    """``prevalidated`` for each entry's resource of a batch or transaction Bundle (in place).
    A Bundle over the entry limit is left alone: the service refuses it without reading it."""
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    if not isinstance(entries, list) or len(entries) > max_entries:
        return bundle
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
            entry["resource"] = prevalidated(entry["resource"])
    return bundle


def _issues(res_type: str, exc: ValidationError) -> list[Issue]:
    issues = []
    for detail in exc.errors(include_input=False)[:MAX_ISSUES]:
        loc = tuple(p for p in detail["loc"] if p != "__root__")
        code = "structure" if detail["type"] == "extra_forbidden" else "value"
        message = "Unknown element" if detail["type"] == "extra_forbidden" else detail["msg"]
        issues.append(error(code, message, fhirpath_of(res_type, loc)))
    return issues
