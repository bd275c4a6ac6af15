"""Recommendations and consultations: free text is scrubbed like a case's free text.

Tutors answer a case in their own words and may repeat what the presenter said aloud (a name,
a phone number). The Communication's ``payload.contentString`` and ``note.text`` therefore go
through the same ``scrub_text`` as case narratives, here and nowhere else; what was replaced is
reported as information issues that name the element, never the value. A one-to-one
consultation (ServiceRequest) carries the clinician's question in ``note.text`` and
``reasonCode.text``, and its Tasks may carry notes: the same scrub, from the same step.
"""

from __future__ import annotations

from typing import Any

from registry.errors import Issue, information
from registry.services.deidentify import scrub_text
from registry.services.deidentify.report import describe_scrub

FREE_TEXT = (("payload", "contentString"), ("note", "text"))
# Where each kind that may carry someone's words keeps free text: (list element, key) pairs.
FREE_TEXT_OF: dict[str, tuple[tuple[str, str], ...]] = {
    "Communication": FREE_TEXT,
    "ServiceRequest": (("note", "text"), ("reasonCode", "text"), ("orderDetail", "text")),
    "Task": (("note", "text"), ("input", "valueString"), ("output", "valueString")),
}
# Top-level string elements scrubbed as well.
FREE_STRINGS_OF: dict[str, tuple[str, ...]] = {
    "ServiceRequest": ("patientInstruction",),
    "Task": ("description",),
}


def scrub_communication(resource: dict[str, Any]) -> list[Issue]:
    """Scrub the free text of a Communication in place; one issue per changed element."""
    return scrub_free_text(resource, "Communication")


def scrub_free_text(resource: dict[str, Any], res_type: str) -> list[Issue]:
    """Scrub the free text of a Communication, ServiceRequest or Task in place."""
    issues = []
    for name in FREE_STRINGS_OF.get(res_type, ()):
        text = resource.get(name)
        if isinstance(text, str):
            scrubbed, counts = scrub_text(text)
            if counts:
                resource[name] = scrubbed
                issues.append(information("informational", describe_scrub(counts),
                                          f"{res_type}.{name}"))
    for element, key in FREE_TEXT_OF.get(res_type, ()):
        for index, item in enumerate(resource.get(element) or []):
            text = item.get(key) if isinstance(item, dict) else None
            if not isinstance(text, str):
                continue
            scrubbed, counts = scrub_text(text)
            if counts:
                item[key] = scrubbed
                issues.append(information("informational", describe_scrub(counts),
                                          f"{res_type}.{element}[{index}].{key}"))
    return issues
