"""The FHIR REST interactions at ``/fhir``: each view parses, calls one service, responds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Response, current_app, request, send_file
from flask_smorest import Blueprint

from registry.errors import InvalidRequest, UnsupportedMediaType
from registry.http.fhir.responses import (
    PATCH_TYPES,
    fhir_response,
    json_body,
    media_type,
    prefer,
    search_params,
    strict_handling,
    version_headers,
    write_response,
)
from registry.http.openapi import HISTORY_PARAMETERS, RESULT_PARAMETERS, interaction, public
from registry.http.pipeline import base_url, caller, node, unit
from registry.services import bulk_export as bulk
from registry.services import operations
from registry.services.capability import capability_statement
from registry.services.federation.stats import stats as count_stats
from registry.services.operations import parameters_of
from registry.services.patch import apply_fhirpath_patch, apply_json_patch
from registry.services.transaction import process_bundle
from registry.services.validation import prevalidate_entries, prevalidated

blp = Blueprint("fhir", __name__, url_prefix="/fhir",
                description="FHIR R4 REST API (application/fhir+json)")

# A resource type is a capitalized name: operations ($export) and metadata never match it, so
# OPTIONS on them lists only their own methods.
TYPE = "/<fhirtype:res_type>"
INSTANCE = "/<fhirtype:res_type>/<fhirid:res_id>"
WRITE_ERRORS = (403, 404, 409, 412, 415, 422)


@blp.route("/metadata", methods=["GET"])
@blp.doc(**public(interaction("CapabilityStatement generated from what this server supports",
                             ok=200, returns="CapabilityStatement")))
def metadata() -> Response:
    return fhir_response(capability_statement(node(), base_url()))


@blp.route("/", methods=["POST"], strict_slashes=False)
@blp.doc(**interaction("Batch or transaction Bundle", ok=200, body="Bundle", returns="Bundle",
                       errors=(403, 404, 409, 412, 415, 422)))
def system_bundle() -> Response:
    body = prevalidate_entries(json_body(), node().max_bundle_entries)
    with unit(write=True) as service:
        result = process_bundle(service, body)
    return fhir_response(result)


@blp.route("/_history", methods=["GET"])
@blp.doc(**interaction("System history", ok=200, returns="Bundle",
                       query={**HISTORY_PARAMETERS, "_type": {"type": "string"}}))
def system_history() -> Response:
    return _history(None, None)


@blp.route(TYPE, methods=["GET"])
@blp.doc(**interaction("Search (GET)", ok=200, returns="Bundle", query=RESULT_PARAMETERS,
                       search=True, errors=(403,)))
def search(res_type: str) -> Response:
    return _search(res_type)


@blp.route(f"{TYPE}/_search", methods=["POST"])
@blp.doc(**interaction("Search (POST, form-encoded; the parameters may also be in the query)",
                       ok=200, returns="Bundle", query=RESULT_PARAMETERS, search=True,
                       errors=(403, 415)))
def search_post(res_type: str) -> Response:
    return _search(res_type)


@blp.route(TYPE, methods=["POST"])
@blp.doc(**interaction("Create (If-None-Exist for conditional create)", ok=201, body="Resource",
                       returns="Resource", headers=("If-None-Exist", "Prefer"),
                       errors=(*WRITE_ERRORS, 200)))
def create(res_type: str) -> Response:
    body = prevalidated(json_body())  # structure checked before the transaction
    with unit(write=True) as service:
        outcome = service.create(body, res_type=res_type,
                                 if_none_exist=request.headers.get("If-None-Exist"))
    return write_response(outcome.stored, outcome.status, notes=outcome.notes)


@blp.route(TYPE, methods=["PUT"])
@blp.doc(**interaction("Conditional update by search criteria", ok=200, body="Resource",
                       returns="Resource", search=True, headers=("Prefer",),
                       errors=(*WRITE_ERRORS, 201)))
def conditional_update(res_type: str) -> Response:
    body = prevalidated(json_body())
    with unit(write=True) as service:
        outcome = service.conditional_update(res_type, search_params(), body)
    return write_response(outcome.stored, outcome.status)


@blp.route(TYPE, methods=["DELETE"])
@blp.doc(**interaction("Conditional delete by search criteria", ok=204, search=True,
                       errors=WRITE_ERRORS))
def conditional_delete(res_type: str) -> Response:
    with unit(write=True) as service:
        service.conditional_delete(res_type, search_params())
    return fhir_response(b"", 204)


@blp.route(f"{TYPE}/_history", methods=["GET"])
@blp.doc(**interaction("Type history", ok=200, returns="Bundle", query=HISTORY_PARAMETERS,
                       errors=(403,)))
def type_history(res_type: str) -> Response:
    return _history(res_type, None)


@blp.route(INSTANCE, methods=["GET"])
@blp.doc(**interaction("Read", ok=200, returns="Resource", headers=("If-None-Match",),
                       errors=(304, 403, 404, 410)))
def read(res_type: str, res_id: str) -> Response:
    with unit(write=False) as service:
        stored = service.read(res_type, res_id)
    if request.headers.get("If-None-Match") == stored.etag:
        return fhir_response(b"", 304, version_headers(stored))
    return fhir_response(stored.content or b"", 200, version_headers(stored))


@blp.route(INSTANCE, methods=["PUT"])
@blp.doc(**interaction("Update, or create with a client-chosen id", ok=200, body="Resource",
                       returns="Resource", headers=("If-Match", "Prefer"),
                       errors=(*WRITE_ERRORS, 201)))
def update(res_type: str, res_id: str) -> Response:
    body = prevalidated(json_body())
    with unit(write=True) as service:
        outcome = service.update(res_type, res_id, body,
                                 if_match=request.headers.get("If-Match"))
    return write_response(outcome.stored, outcome.status, notes=outcome.notes)


@blp.route(INSTANCE, methods=["PATCH"])
@blp.doc(**interaction("JSON Patch (application/json-patch+json) or FHIRPath Patch "
                       "(a Parameters resource)", ok=200, returns="Resource",
                       body={"application/json-patch+json": "JsonPatch",
                             "application/fhir+json": "Parameters"},
                       headers=("If-Match", "Prefer"), errors=(*WRITE_ERRORS, 410)))
def patch(res_type: str, res_id: str) -> Response:
    if media_type() in PATCH_TYPES:
        operations_ = json_body(PATCH_TYPES)
        apply = lambda resource: apply_json_patch(resource, operations_)  # noqa: E731
    elif media_type() in ("application/fhir+json", "application/json"):
        parameters = json_body()
        apply = lambda resource: apply_fhirpath_patch(resource, parameters)  # noqa: E731
    else:
        raise UnsupportedMediaType("PATCH takes application/json-patch+json or a FHIRPath "
                                   "Patch Parameters resource as application/fhir+json")
    with unit(write=True) as service:
        outcome = service.patch(res_type, res_id, apply,
                                if_match=request.headers.get("If-Match"))
    return write_response(outcome.stored, outcome.status)


@blp.route(INSTANCE, methods=["DELETE"])
@blp.doc(**interaction("Delete (a versioned tombstone; reads then answer 410)", ok=204,
                       headers=("If-Match",), errors=WRITE_ERRORS))
def delete(res_type: str, res_id: str) -> Response:
    with unit(write=True) as service:
        service.delete(res_type, res_id, if_match=request.headers.get("If-Match"))
    return fhir_response(b"", 204)


@blp.route(f"{INSTANCE}/_history", methods=["GET"])
@blp.doc(**interaction("Instance history", ok=200, returns="Bundle", query=HISTORY_PARAMETERS,
                       errors=(403, 404)))
def instance_history(res_type: str, res_id: str) -> Response:
    return _history(res_type, res_id)


@blp.route(f"{INSTANCE}/_history/<string:version>", methods=["GET"])
@blp.doc(**interaction("Version read (vread)", ok=200, returns="Resource",
                       errors=(403, 404, 410)))
def vread(res_type: str, res_id: str, version: str) -> Response:
    with unit(write=False) as service:
        stored = service.vread(res_type, res_id, version)
    return fhir_response(stored.content or b"", 200, version_headers(stored))


def _search(res_type: str) -> Response:
    params = search_params()
    with unit(write=False) as service:
        page = service.search_bundle(res_type, params, strict=strict_handling())
    return fhir_response(page)


def _history(res_type: str | None, res_id: str | None) -> Response:
    params = search_params()
    with unit(write=False) as service:
        page = service.history_bundle(params, res_type=res_type, res_id=res_id)
    return fhir_response(page)


def _operation_params() -> dict[str, str]:
    params = {k: v for k, v in request.args.items()}
    if request.method == "POST":
        params.update(parameters_of(json_body()))
    return params


@blp.route(f"{TYPE}/$validate", methods=["POST"])
@blp.doc(**interaction("$validate a resource (structure, profiles, terminology); writes nothing",
                       ok=200, body="Resource", returns="OperationOutcome",
                       errors=(403, 415, 422)))
def validate_type(res_type: str) -> Response:
    body = json_body()
    with unit(write=False) as service:
        outcome = operations.validate(service, res_type, body)
    return fhir_response(outcome)


@blp.route(f"{INSTANCE}/$validate", methods=["GET", "POST"])
@blp.doc(**interaction("$validate an update of this instance (or the stored version with GET)",
                       ok=200, returns="OperationOutcome", errors=(403, 404, 410, 415, 422)))
def validate_instance(res_type: str, res_id: str) -> Response:
    body = json_body() if request.method == "POST" else None
    with unit(write=False) as service:
        outcome = operations.validate(service, res_type, body, res_id)
    return fhir_response(outcome)


@blp.route("/ValueSet/$expand", methods=["GET", "POST"])
@blp.doc(**interaction("Expand a network ValueSet", ok=200, returns="Resource",
                       query={"url": {"type": "string"}, "filter": {"type": "string"},
                              "displayLanguage": {"type": "string"}}, errors=(404, 422)))
def expand_value_set() -> Response:
    return fhir_response(operations.expand(_operation_params()))


@blp.route("/ValueSet/<fhirid:res_id>/$expand", methods=["GET", "POST"])
@blp.doc(**interaction("Expand a stored ValueSet", ok=200, returns="Resource",
                       query={"filter": {"type": "string"},
                              "displayLanguage": {"type": "string"}},
                       errors=(403, 404, 410, 422)))
def expand_stored_value_set(res_id: str) -> Response:
    params = _operation_params()
    with unit(write=False) as service:
        url = service.read("ValueSet", res_id).resource().get("url")
    return fhir_response(operations.expand(params, url))


@blp.route("/CodeSystem/$lookup", methods=["GET", "POST"])
@blp.doc(**interaction("Look up a code", ok=200, returns="Parameters",
                       query={"system": {"type": "string"}, "code": {"type": "string"},
                              "displayLanguage": {"type": "string"}}, errors=(404, 422)))
def lookup_code() -> Response:
    return fhir_response(operations.lookup(_operation_params()))


@blp.route("/$stats", methods=["GET"])
@blp.doc(**interaction("Counts per country or origin node (type=Organization|Location|"
                       "HealthcareService, by=country|origin, and any search parameter of "
                       "that type), under the same policy as search", ok=200,
                       returns="Parameters",
                       query={"type": {"type": "string"}, "by": {"type": "string"}},
                       errors=(403,)))
def stats() -> Response:
    with unit(write=False) as service:
        counts = count_stats(service, search_params())
    return fhir_response(counts)


def _export_directory() -> Path:
    configured = current_app.config["REGISTRY"].export_dir
    return Path(configured) if configured else Path(current_app.instance_path) / "exports"


@blp.route("/$export", methods=["GET"])
@blp.doc(**interaction("Bulk Data export kick-off (needs Prefer: respond-async)", ok=202,
                       query={"_type": {"type": "string"},
                              "_since": {"type": "string", "format": "date-time"},
                              "_outputFormat": {"type": "string"}},
                       headers=("Prefer",), errors=(403,)))
def bulk_export() -> Response:
    if prefer("respond-async") is None:
        raise InvalidRequest("Bulk export needs the header Prefer: respond-async")
    params = search_params()
    with unit(write=False) as service:
        wanted = bulk.parse_export(params, node(), service.access.subject, request.url)
        job = bulk.run_export(service.ctx.conn, service.access.subject, caller(), wanted,
                              _export_directory(), base_url())
    return fhir_response(b"", 202, {"Content-Location": f"{base_url()}/$export-status/{job}"})


@blp.route("/$export-status/<string:job>", methods=["GET", "DELETE"])
@blp.doc(**interaction("Bulk Data export status (the manifest) or cancellation", ok=200,
                       returns="BulkManifest", returns_type="application/json",
                       errors=(202, 403, 404)))
def bulk_export_status(job: str) -> Response:
    if request.method == "DELETE":
        bulk.delete_job(_export_directory(), job, caller())
        return fhir_response(b"", 202)
    manifest: dict[str, Any] = bulk.manifest(_export_directory(), job, caller())
    return Response(json.dumps(manifest), status=200, content_type="application/json")


@blp.route("/$export-file/<string:job>/<string:name>", methods=["GET"])
@blp.doc(**interaction("One NDJSON file of a finished export", ok=200, errors=(403, 404)))
def bulk_export_file(job: str, name: str) -> Response:
    path = bulk.export_file(_export_directory(), job, name, caller())
    return send_file(path, mimetype=bulk.NDJSON)
