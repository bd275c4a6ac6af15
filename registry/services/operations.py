"""FHIR operations: ``$validate`` on types and instances, ``ValueSet/$expand``,
``CodeSystem/$lookup``. Validation runs the same checks as a write and writes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry.errors import InvalidRequest, Issue, RegistryError, information, operation_outcome
from registry.services import terminology
from registry.services.fhir import FhirService


def validate(service: FhirService, res_type: str, body: Any,
             res_id: str | None = None) -> dict[str, Any]:
    """An OperationOutcome saying whether ``body`` could be written; never writes. The stored
    instance (``GET [type]/[id]/$validate``) is read as any read is: under the policy, and
    audited where it is case data."""
    service.ctx.resources.check_type(res_type)
    candidate = _resource_of(body)
    if candidate is None and res_id is not None:
        candidate = service.read(res_type, res_id).resource()
    if candidate is None:
        raise InvalidRequest("$validate needs a resource, directly or as Parameters.resource")
    issues: list[Issue]
    try:
        service.pipeline.prepare(dict(candidate), res_type)
        if res_id is not None and candidate.get("id") not in (None, res_id):
            raise InvalidRequest("The resource id does not match the URL", f"{res_type}.id")
        issues = [information("informational", "Validation successful: no issues found")]
    except RegistryError as exc:
        issues = exc.issues
    return operation_outcome(issues)


def _resource_of(body: Any) -> dict[str, Any] | None:
    if body is None:
        return None
    if not isinstance(body, dict):
        raise InvalidRequest("$validate takes a resource or a Parameters resource")
    if body.get("resourceType") != "Parameters":
        return body
    for parameter in body.get("parameter", []):
        if parameter.get("name") == "resource" and isinstance(parameter.get("resource"), dict):
            return parameter["resource"]  # type: ignore[no-any-return]
    return None


def expand(params: Mapping[str, str], value_set_url: str | None = None) -> dict[str, Any]:
    url = value_set_url or params.get("url")
    if not url:
        raise InvalidRequest("$expand needs a ValueSet url", "url")
    return terminology.expand(url, display_language=params.get("displayLanguage"),
                              filter=params.get("filter"))


def lookup(params: Mapping[str, str]) -> dict[str, Any]:
    system, code = params.get("system"), params.get("code")
    if not system or not code:
        raise InvalidRequest("$lookup needs system and code", "code" if system else "system")
    return terminology.lookup(system, code, display_language=params.get("displayLanguage"))


def parameters_of(body: Any) -> dict[str, str]:
    """Flatten a Parameters body's primitive parameters (for POSTed operations)."""
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise InvalidRequest("The operation takes a Parameters resource")
    found: dict[str, str] = {}
    for parameter in body.get("parameter", []):
        for key, value in parameter.items():
            if key.startswith("value") and isinstance(value, str | int | bool):
                found[parameter.get("name", "")] = str(value)
    return found
