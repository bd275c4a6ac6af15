"""The network's words for cohorts, work plans and planned sessions, and small readers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from registry.errors import InvalidRequest, NotFound, Unprocessable, error
from registry.services.consultation import CATEGORY
from registry.services.fhir import FhirService

BASE = "https://telementoring.example.org/fhir"
SD = f"{BASE}/StructureDefinition"
CS = f"{BASE}/CodeSystem"
COHORT_PROGRAM = f"{SD}/cohort-program"
SESSION_COHORT = f"{SD}/session-cohort"
SESSION_PROGRAM = f"{SD}/session-program"
CALENDAR_KEY_VERSION = f"{SD}/calendar-key-version"
ADAPTATION = f"{SD}/curriculum-adaptation"
TOPIC_SYSTEM = f"{CS}/program-topic"
NEEDS_QUESTIONNAIRE = f"{BASE}/Questionnaire/needs-assessment"
PROGRAM_ROLE = f"{CS}/program-role"
ADAPTATIONS = ("kept", "added", "dropped", "moved")
CONSULTATION = CATEGORY  # the consultation rule's category (registry.services.consultation)
CONSULTATION_CHANNEL = f"{SD}/consultation-channel"
CHANNELS = ("phone", "video", "email", "message", "site-visit")
PRIORITIES = ("routine", "urgent", "asap", "stat")
LEARNING_KIND = f"{CS}/learning-kind"
PROGRAM_TASK = f"{CS}/program-task"
LEARNING_DURATION = f"{SD}/learning-duration"


def extension_reference(resource: dict[str, Any], url: str) -> str | None:
    """The reference an extension of ``resource`` holds (``valueReference``), if any."""
    for ext in resource.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == url:
            ref = (ext.get("valueReference") or {}).get("reference")
            return ref if isinstance(ref, str) else None
    return None


def codes(concepts: Any, system: str) -> list[str]:
    """Codes of ``system`` in a CodeableConcept or a list of them, in order."""
    items = concepts if isinstance(concepts, list) else [concepts]
    return [c["code"] for cc in items if isinstance(cc, dict)
            for c in cc.get("coding") or [] if c.get("system") == system and c.get("code")]


def local_id(reference: str, res_type: str) -> str:
    """The id in ``Type/ID`` (or a bare id); a reference to another type is a 400."""
    parts = reference.rstrip("/").split("/")
    if len(parts) == 1 and parts[0]:
        return parts[0]
    if len(parts) >= 2 and parts[-2] == res_type and parts[-1]:
        return parts[-1]
    raise InvalidRequest(f"Expected {res_type}/ID, got {reference!r}")


def read_cohort(service: FhirService, group_id: str) -> dict[str, Any]:
    """The cohort Group (read under the caller's policy); 422 when it names no program."""
    group = service.read("Group", group_id).resource()
    if extension_reference(group, COHORT_PROGRAM) is None:
        raise Unprocessable([error("business-rule", f"Group/{group_id} is not a cohort: it names "
                                   f"no program in the extension {COHORT_PROGRAM}",
                                   "Group.extension")])
    return group


def cohort_program(group: dict[str, Any]) -> str:
    program = extension_reference(group, COHORT_PROGRAM)
    if program is None:
        raise NotFound("The cohort names no program")
    return program


def members(group: dict[str, Any]) -> list[str]:
    """References of the cohort's current members (``inactive`` members left the cohort)."""
    return [m["entity"]["reference"] for m in group.get("member") or []
            if isinstance((m.get("entity") or {}).get("reference"), str)
            and not m.get("inactive")]


def search_all(service: FhirService, res_type: str, params: dict[str, list[str]]
               ) -> Iterator[dict[str, Any]]:
    """Every match of a search the caller may see, page by page."""
    size = service.ctx.node.max_count
    offset = 0
    while True:
        query = {**params, "_count": [str(size)], "_offset": [str(offset)]}
        _, result = service.search(res_type, query)
        for stored in result.matches:
            yield stored.resource()
        if len(result.matches) < size:
            return
        offset += size


def parameter_lists(body: Any) -> dict[str, list[str]]:
    """A Parameters body's primitive values by name, a name given several times kept as a list
    (``holiday`` may repeat)."""
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise InvalidRequest("The operation takes a Parameters resource")
    found: dict[str, list[str]] = {}
    for parameter in body.get("parameter") or []:
        if not isinstance(parameter, dict):
            raise InvalidRequest("Each Parameters.parameter is an object")
        for key, value in parameter.items():
            if key.startswith("value") and isinstance(value, str | int | bool):
                text = str(value).lower() if isinstance(value, bool) else str(value)
                found.setdefault(str(parameter.get("name", "")), []).append(text)
    return found


def _operation(name: str) -> tuple[str, str]:
    return name, f"{BASE}/OperationDefinition/{name}"


# The operations of running a program, by resource type (for the CapabilityStatement).
OPERATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "Group": (_operation("needs-summary"), _operation("progress"), _operation("schedule")),
    "HealthcareService": (_operation("rotate-calendar-key"),),
    "Organization": (_operation("consultation-turnaround"),),
    "PractitionerRole": (_operation("certificate"),),
}
