"""How a QuestionnaireResponse names its program, cohort, phase and mentee.

Program and cohort are references in the network's extensions, the phase a code from the
``evaluation-phase`` CodeSystem; the mentee is the response's ``author`` (their
PractitionerRole): responses are paired by it, never by a name. The search parameters
``program``, ``cohort`` and ``phase`` (``schemas/searchparameters/evaluation.json``) let a
FHIR client find them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry.errors import Issue, error
from registry.services.evaluations.instruments import NETWORK

PROGRAM_EXTENSION = f"{NETWORK}/StructureDefinition/evaluation-program"
COHORT_EXTENSION = f"{NETWORK}/StructureDefinition/evaluation-cohort"
PHASE_EXTENSION = f"{NETWORK}/StructureDefinition/evaluation-phase"
PHASE_SYSTEM = f"{NETWORK}/CodeSystem/evaluation-phase"
PHASES = ("pre", "post")


@dataclass(frozen=True)
class ResponseLinks:
    program: str | None  # "HealthcareService/ID"
    cohort: str | None  # "Group/ID"
    phase: str
    mentee: str  # PractitionerRole id


def read_links(response: dict[str, Any]) -> tuple[ResponseLinks | None, list[Issue]]:
    """The links of an evaluation response, or what is missing."""
    extensions = {e.get("url"): e for e in response.get("extension", [])}
    phase = extensions.get(PHASE_EXTENSION, {}).get("valueCoding", {})
    author = response.get("author", {}).get("reference", "")
    issues = []
    if phase.get("system") != PHASE_SYSTEM or phase.get("code") not in PHASES:
        issues.append(error("required", "An evaluation response needs its phase (pre or post) "
                            f"in the extension {PHASE_EXTENSION}",
                            "QuestionnaireResponse.extension"))
    if not author.startswith("PractitionerRole/") or author.count("/") != 1:
        issues.append(error("required", "An evaluation response's author must be the mentee's "
                            "PractitionerRole", "QuestionnaireResponse.author"))
    if issues:
        return None, issues
    program = extensions.get(PROGRAM_EXTENSION, {}).get("valueReference", {}).get("reference")
    cohort = extensions.get(COHORT_EXTENSION, {}).get("valueReference", {}).get("reference")
    return ResponseLinks(program, cohort, phase["code"], author.split("/", 1)[1]), []


def link_extensions(program: str, cohort: str | None, phase: str) -> list[dict[str, Any]]:
    """The extensions that tie a new response to its program, cohort and phase."""
    found: list[dict[str, Any]] = [
        {"url": PROGRAM_EXTENSION, "valueReference": {"reference": program}},
        {"url": PHASE_EXTENSION, "valueCoding": {"system": PHASE_SYSTEM, "code": phase}}]
    if cohort:
        found.insert(1, {"url": COHORT_EXTENSION, "valueReference": {"reference": cohort}})
    return found
