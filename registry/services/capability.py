"""The CapabilityStatement, generated from what the server really supports.

Types and search parameters come from the SearchParameter registry; interactions and
operations from the lists below, which name what the REST layer implements.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from registry.services import policy
from registry.services.cases.transform import ALWAYS_CASE
from registry.services.node import Node
from registry.services.programs.model import OPERATIONS as PROGRAM_OPERATIONS

READ_INTERACTIONS = ("read", "vread", "history-instance", "history-type", "search-type")
# Each write interaction, and the policy interaction some role must be granted for it.
WRITE_INTERACTIONS = (("update", "update"), ("patch", "update"), ("delete", "delete"),
                      ("create", "create"))
SYSTEM_INTERACTIONS = ("transaction", "batch", "history-system")
SEARCH_RESULT_PARAMETERS = ("_count", "_sort", "_include", "_revinclude", "_summary", "_total",
                            "_elements")
FHIR_VERSION = "4.3.0"
NETWORK_OPERATIONS = "https://telementoring.example.org/fhir/OperationDefinition"


def capability_statement(node: Node, base_url: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": datetime.now(UTC).date().isoformat(),
        "kind": "instance",
        "software": {"name": "Telementoring Network Registry", "version": _version()},
        "implementation": {"description": "Telementoring Network Registry node",
                           "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "patchFormat": ["application/json-patch+json", "application/fhir+json"],
        "rest": [{
            "mode": "server",
            "security": {"description": "Every interaction but this CapabilityStatement needs "
                                        "an Authorization: Bearer token issued by the node's "
                                        "operator (`registry token create`); what a token "
                                        "may do follows its role and binding."},
            "resource": [_resource(node, t) for t in node.resource_types],
            "interaction": [{"code": code} for code in SYSTEM_INTERACTIONS],
            "operation": [{"name": "export", "definition":
                           "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"},
                          {"name": "stats", "definition": f"{OUR_OPERATIONS}/stats"}],
            "searchParam": [_param(p) for p in node.search_parameters.common.values()],
        }],
    }


def _resource(node: Node, res_type: str) -> dict[str, Any]:
    params = node.search_parameters.for_type(res_type)
    references = sorted(f"{res_type}:{p.code}" for p in params.values() if p.type == "reference")
    writable = res_type not in ALWAYS_CASE  # written only inside a case Bundle
    granted = {code for code, interaction in WRITE_INTERACTIONS
               if writable and policy.granted_to_some_role(interaction, res_type)}
    return {
        "type": res_type,
        "interaction": [{"code": code} for code in
                        (*READ_INTERACTIONS, *sorted(granted))],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": "update" in granted,
        "conditionalCreate": "create" in granted,
        "conditionalUpdate": "update" in granted,
        "conditionalDelete": "single" if "delete" in granted else "not-supported",
        "conditionalRead": "not-supported",
        "referencePolicy": ["literal", "logical"],
        "searchInclude": [*references, f"{res_type}:*"],
        "searchRevInclude": _revincludes(node, res_type),
        "searchParam": [_param(p) for p in sorted(params.values(), key=lambda p: p.code)],
        "operation": [*({"name": name, "definition": definition if "://" in definition
                         else f"http://hl7.org/fhir/OperationDefinition/{definition}"}
                        for name, definition in _operations(res_type)),
                      *({"name": name, "definition": definition}
                        for name, definition in PROGRAM_OPERATIONS.get(res_type, ()))],
    }


OUR_OPERATIONS = "https://telementoring.example.org/fhir/OperationDefinition"


def _operations(res_type: str) -> list[tuple[str, str]]:
    found = [("validate", "Resource-validate")]
    if res_type == "ValueSet":
        found.append(("expand", "ValueSet-expand"))
    if res_type == "CodeSystem":
        found.append(("lookup", "CodeSystem-lookup"))
    if res_type == "HealthcareService":
        found += [(name, f"{NETWORK_OPERATIONS}/HealthcareService-{name}")
                  for name in ("evaluation-window", "evaluation-analysis",
                               "evaluation-report")]
    if res_type == "Measure":
        found.append(("evaluate-measure", "Measure-evaluate-measure"))
    if res_type == "MeasureReport":  # ours (registry.http.outcomes)
        found += [(name, f"{OUR_OPERATIONS}/MeasureReport-{name}")
                  for name in ("aggregate-export", "aggregate-import")]
    return found


def _revincludes(node: Node, res_type: str) -> list[str]:
    found = []
    for source in node.resource_types:
        for p in node.search_parameters.for_type(source).values():
            if p.type == "reference" and (not p.targets or res_type in p.targets):
                found.append(f"{source}:{p.code}")
    return sorted(found)


def _param(param: Any) -> dict[str, Any]:
    entry = {"name": param.code, "type": param.type}
    if param.url:
        entry["definition"] = param.url
    if param.description:
        entry["documentation"] = param.description
    return entry


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("telementoring-registry")
    except PackageNotFoundError:
        return "0+unknown"

