"""Request parsing and response building shared by the FHIR views (HTTP concerns only)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from flask import Response, request
from werkzeug.datastructures import MultiDict

from registry.errors import (
    InvalidRequest,
    Issue,
    UnsupportedMediaType,
    information,
    operation_outcome,
)
from registry.http.pipeline import base_url, node
from registry.services.bundles import last_modified
from registry.services.validation import check_body
from registry.storage.rows import Stored

FHIR_JSON = "application/fhir+json; charset=utf-8"
JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")
PATCH_TYPES = ("application/json-patch+json",)


def media_type() -> str:
    return (request.mimetype or "").lower()


def json_body(allowed: tuple[str, ...] = JSON_TYPES) -> Any:
    """The parsed request body; 415 for a wrong Content-Type, 400 for broken JSON."""
    if media_type() not in allowed:
        raise UnsupportedMediaType(f"Content-Type must be one of {', '.join(allowed)}; "
                                   f"got {request.mimetype or 'none'}")
    data = request.get_data(cache=True)
    if not data:
        raise InvalidRequest("The request has no body")
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"The body is not valid JSON: {exc.msg} at position {exc.pos}"
                             ) from None
    check_body(body, node().body_limits)
    return body


def prefer(name: str) -> str | None:
    """One token of the ``Prefer`` header, e.g. ``prefer('return')``."""
    for part in request.headers.get("Prefer", "").split(";"):
        for item in part.split(","):
            key, _, value = item.strip().partition("=")
            if key.strip().lower() == name:
                return value.strip().strip('"').lower()
    return None


def strict_handling() -> bool:
    return prefer("handling") == "strict"


def search_params() -> dict[str, list[str]]:
    """Query-string parameters, plus the form body of ``POST _search``."""
    if request.method != "POST":
        return parameters(request.args)
    if media_type() not in ("application/x-www-form-urlencoded", ""):
        raise UnsupportedMediaType("POST _search takes application/x-www-form-urlencoded")
    return parameters(request.args, request.form)


def parameters(*sources: MultiDict[str, str]) -> dict[str, list[str]]:
    """Each parameter's values, in order, from every source in turn; 400 for a NUL."""
    params: dict[str, list[str]] = {}
    for source in sources:
        for key in source:
            values = source.getlist(key)
            if "\x00" in key or any("\x00" in v for v in values):
                raise InvalidRequest("A parameter holds a NUL character (%00)")
            params.setdefault(key, []).extend(values)
    return params


def fhir_response(body: str | bytes | dict[str, Any] | Iterator[bytes], status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    """A FHIR JSON response; an iterator of chunks is streamed (no ``Content-Length``)."""
    if isinstance(body, dict):
        body = orjson.dumps(body)
    return Response(body, status=status, headers=headers, content_type=FHIR_JSON)


def version_headers(stored: Stored) -> dict[str, str]:
    return {"ETag": stored.etag, "Last-Modified": last_modified(stored)}


def write_response(stored: Stored, status: int, *, location: bool = True,
                   notes: tuple[Issue, ...] = ()) -> Response:
    """The answer to a create/update/patch, honouring ``Prefer: return=``. ``notes`` (what
    de-identification changed) come back with ``Prefer: return=OperationOutcome``."""
    headers = version_headers(stored)
    if location:
        headers["Location"] = f"{base_url()}/{stored.location}"
    wanted = prefer("return")
    if wanted == "minimal":
        return fhir_response(b"", status, headers)
    if wanted == "operationoutcome":
        outcome = operation_outcome([_written_issue(stored, status), *notes])
        return fhir_response(outcome, status, headers)
    return fhir_response(stored.content or b"", status, headers)


def _written_issue(stored: Stored, status: int) -> Issue:
    verb = "created" if status == 201 else "updated"
    return information("informational", f"{stored.res_type}/{stored.res_id} {verb} "
                       f"(version {stored.version})")
