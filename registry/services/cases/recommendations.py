"""Recommendations: the free text tutors write is scrubbed like a case's free text.

Tutors answer a case in their own words and may repeat what the presenter said aloud (a name,
a phone number). The Communication's ``payload.contentString`` and ``note.text`` therefore go
through the same ``scrub_text`` as case narratives, here and nowhere else; what was replaced is
reported as information issues that name the element, never the value.
"""

from __future__ import annotations

from typing import Any

from registry.errors import Issue, information
from registry.services.deidentify import scrub_text
from registry.services.deidentify.report import describe_scrub

FREE_TEXT = (("payload", "contentString"), ("note", "text"))


def scrub_communication(resource: dict[str, Any]) -> list[Issue]:
    """Scrub the free text of a Communication in place; one issue per changed element."""
    issues = []
    for element, key in FREE_TEXT:
        for index, item in enumerate(resource.get(element) or []):
            text = item.get(key) if isinstance(item, dict) else None
            if not isinstance(text, str):
                continue
            scrubbed, counts = scrub_text(text)
            if counts:
                item[key] = scrubbed
                issues.append(information("informational", describe_scrub(counts),
                                          f"Communication.{element}[{index}].{key}"))
    return issues
