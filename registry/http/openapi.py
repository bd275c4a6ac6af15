"""The OpenAPI document of the API, served at ``/docs/openapi.json`` and shown at ``/docs/``.

It says what a client (or a fuzzer) needs to call the FHIR API without reading the code: the
resource types this node serves as an enum, the FHIR id pattern, the search, paging and history
parameters, the headers of conditional and versioned interactions, the bodies each interaction
takes, and that every error is an OperationOutcome. The bearer security scheme gives the docs
page its Authorize button, so "Try it out" sends the operator-issued token.

Views declare their documentation with ``interaction(...)``; the components it refers to are
registered once per application by ``register_components``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from registry.services.node import Node

BEARER = "bearerAuth"
FHIR_JSON = "application/fhir+json"
FHIR_ID_PATTERN = r"^[A-Za-z0-9\-\.]{1,64}$"
ERROR_STATUSES = (400, 401, 403, 404, 405, 406, 409, 410, 412, 413, 414, 415, 422, 429, 431,
                  503)
# What every interaction behind a token may answer, whatever it does.
COMMON_ERRORS = (400, 401, 406, 413, 414, 429, 431, 503)

# The search parameters every type has, in the order the docs page shows them.
SEARCH_COMMON = ("_id", "_lastUpdated", "_profile", "_security", "_source", "_tag")
RESULT_PARAMETERS: dict[str, dict[str, Any]] = {
    "_count": {"type": "integer", "minimum": 0},
    "_offset": {"type": "integer", "minimum": 0},
    "_sort": {"type": "string"},
    "_include": {"type": "string"},
    "_revinclude": {"type": "string"},
    "_summary": {"type": "string", "enum": ["true", "false", "count", "text", "data"]},
    "_total": {"type": "string", "enum": ["none", "estimate", "accurate"]},
    "_elements": {"type": "string"},
    "_format": {"type": "string", "enum": ["json", "application/fhir+json",
                                           "application/json"]},
}
HISTORY_PARAMETERS: dict[str, dict[str, Any]] = {
    "_since": {"type": "string", "format": "date-time"},
    "_at": {"type": "string", "format": "date-time"},
    "_count": {"type": "integer", "minimum": 0},
    "_cursor": {"type": "string"},
    "_sort": {"type": "string", "enum": ["_lastUpdated", "-_lastUpdated"]},
}
HEADERS: dict[str, tuple[str, str]] = {
    "If-Match": ('W/"<versionId>"', "Update only if the current version is this one (412)"),
    "If-None-Match": ('W/"<versionId>"', "Answer 304 when the current version is this one"),
    "If-None-Exist": ("<search query>", "Conditional create: create only if nothing matches"),
    "Prefer": ("return=minimal | return=representation | return=OperationOutcome | "
               "respond-async | handling=strict | handling=lenient", "FHIR Prefer header"),
}
EXAMPLE_ORGANIZATION = {
    "resourceType": "Organization", "active": True, "name": "Example Hub",
    "identifier": [{"system": "https://telementoring.example.org/fhir/sid/org",
                    "value": "HUB-EXAMPLE"}],
    "address": [{"country": "PE"}],
}


def register_components(spec: Any, node: Node) -> None:
    """Schemas, parameters, responses and the security scheme the views' docs refer to."""
    components = spec.components
    components.security_scheme(BEARER, {
        "type": "http", "scheme": "bearer",
        "description": "A token issued by the node's operator (`registry token create`); "
                       "what it may do follows its role and binding"})
    for name, schema in _schemas(node).items():
        components.schema(name, schema)
    for status in ERROR_STATUSES:
        components.response(_error_name(status), {
            "description": f"{HTTPStatus(status).phrase}: an OperationOutcome saying why",
            "content": {FHIR_JSON: {"schema": _ref("OperationOutcome")}}})
    for code in SEARCH_COMMON:
        definition = node.search_parameters.common[code]
        components.parameter(code, "query", {
            "schema": {"type": "string"}, "required": False,
            "description": definition.description or f"{definition.type} search parameter"})


def resource_type_schema(node: Node) -> dict[str, Any]:
    """The ``res_type`` path parameter: one of the types this node serves."""
    return {"type": "string", "enum": list(node.resource_types)}


def resource_id_schema() -> dict[str, Any]:
    return {"type": "string", "pattern": FHIR_ID_PATTERN}


def interaction(summary: str, *, ok: int, body: str | dict[str, str] | None = None,
                returns: str | None = None,
                query: dict[str, dict[str, Any]] | None = None, search: bool = False,
                headers: tuple[str, ...] = (), errors: tuple[int, ...] = (),
                body_types: tuple[str, ...] = (FHIR_JSON, "application/json"),
                returns_type: str = FHIR_JSON) -> dict[str, Any]:
    """The ``blp.doc`` keywords of one FHIR interaction.

    ``body`` and ``returns`` name a schema component (``body`` may map media types to
    components); ``query`` documents query parameters,
    ``search`` adds the common search parameters and a free-form object for the type's own
    (listed per type in the CapabilityStatement); ``errors`` are the statuses the interaction
    itself may answer beside the ones every interaction may.
    """
    doc: dict[str, Any] = {"summary": summary, "responses": _responses(ok, returns, returns_type,
                                                                       errors)}
    parameters: list[Any] = [_query(name, schema) for name, schema in (query or {}).items()]
    parameters += [_header(name) for name in headers]
    if search:
        parameters += list(SEARCH_COMMON)  # apispec makes a component's name a reference
        parameters.append({"name": "criteria", "in": "query", "required": False,
                           "style": "form", "explode": True,
                           "schema": {"type": "object",
                                      "additionalProperties": {"type": "string"}},
                           "example": {},  # "Try it out" sends none unless asked
                           "description": "Any search parameter of the type, with its "
                                          "modifiers and prefixes (see /fhir/metadata)"})
    if parameters:
        doc["parameters"] = parameters
    if body is not None:
        bodies = body if isinstance(body, dict) else dict.fromkeys(body_types, body)
        doc["requestBody"] = {"required": True, "content": {
            kind: {"schema": _ref(name)} for kind, name in bodies.items()}}
    return doc


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """An interaction that needs no token."""
    doc["security"] = []
    doc["responses"] = {k: v for k, v in doc["responses"].items() if k != "401"}
    return doc


def _responses(ok: int, returns: str | None, returns_type: str,
               errors: tuple[int, ...]) -> dict[str, Any]:
    success: dict[str, Any] = {"description": HTTPStatus(ok).phrase}
    if returns is not None:
        success["content"] = {returns_type: {"schema": _ref(returns)}}
    found: dict[str, Any] = {str(ok): success}
    for status in sorted({*COMMON_ERRORS, *errors}):
        found[str(status)] = (_error_name(status) if status in ERROR_STATUSES
                              else {"description": HTTPStatus(status).phrase})
    return found


def errors_only(*statuses: int) -> dict[str, Any]:
    """The ``blp.doc`` keywords documenting the errors of a view whose success flask-smorest
    documents itself (a marshmallow response schema)."""
    return {"responses": {str(status): _error_name(status)
                          for status in sorted({*COMMON_ERRORS, *statuses})}}


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _header(name: str) -> dict[str, Any]:
    example, description = HEADERS[name]
    return {"name": name, "in": "header", "required": False, "schema": {"type": "string"},
            "example": example, "description": description}


def _error_name(status: int) -> str:
    return f"Error{status}"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _schemas(node: Node) -> dict[str, dict[str, Any]]:
    types = list(node.resource_types)
    return {
        "Resource": {
            "type": "object", "required": ["resourceType"], "additionalProperties": True,
            "description": "A FHIR R4 resource of a type this node serves",
            "properties": {"resourceType": {"type": "string", "enum": types},
                           "id": resource_id_schema(),
                           "meta": {"type": "object"}},
            "example": EXAMPLE_ORGANIZATION},
        "Bundle": {
            "type": "object", "required": ["resourceType", "type"],
            "additionalProperties": True,
            "properties": {
                "resourceType": {"type": "string", "enum": ["Bundle"]},
                "type": {"type": "string", "enum": [
                    "batch", "transaction", "document", "searchset", "history",
                    "batch-response", "transaction-response", "message", "collection"]},
                "total": {"type": "integer", "minimum": 0},
                "link": {"type": "array", "items": {"type": "object"}},
                "entry": {"type": "array", "items": _ref("BundleEntry")}},
            "example": {"resourceType": "Bundle", "type": "transaction", "entry": [
                {"resource": EXAMPLE_ORGANIZATION,
                 "request": {"method": "POST", "url": "Organization"}}]}},
        "BundleEntry": {
            "type": "object", "additionalProperties": True,
            "properties": {
                "fullUrl": {"type": "string"},
                "resource": _ref("Resource"),
                "request": {"type": "object", "required": ["method", "url"], "properties": {
                    "method": {"type": "string",
                               "enum": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]},
                    "url": {"type": "string"}}}}},
        "OperationOutcome": {
            "type": "object", "required": ["resourceType", "issue"],
            "properties": {
                "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
                "issue": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["severity", "code"], "properties": {
                        "severity": {"type": "string",
                                     "enum": ["fatal", "error", "warning", "information"]},
                        "code": {"type": "string"},
                        "diagnostics": {"type": "string"},
                        "expression": {"type": "array", "items": {"type": "string"}}}}}}},
        "Parameters": {
            "type": "object", "required": ["resourceType"], "additionalProperties": True,
            "properties": {
                "resourceType": {"type": "string", "enum": ["Parameters"]},
                "parameter": {"type": "array", "items": {
                    "type": "object", "required": ["name"], "additionalProperties": True,
                    "properties": {"name": {"type": "string"}}}}}},
        "JsonPatch": {
            "type": "array", "items": {
                "type": "object", "required": ["op", "path"], "properties": {
                    "op": {"type": "string",
                           "enum": ["add", "remove", "replace", "move", "copy", "test"]},
                    "path": {"type": "string"}, "from": {"type": "string"}, "value": {}}},
            "example": [{"op": "replace", "path": "/name", "value": "Renamed Hub"}]},
        "CapabilityStatement": {
            "type": "object", "required": ["resourceType"], "additionalProperties": True,
            "properties": {"resourceType": {"type": "string",
                                            "enum": ["CapabilityStatement"]}}},
        "BulkManifest": {
            "type": "object", "additionalProperties": True,
            "properties": {"transactionTime": {"type": "string"},
                           "request": {"type": "string"},
                           "output": {"type": "array", "items": {"type": "object"}}}},
    }
