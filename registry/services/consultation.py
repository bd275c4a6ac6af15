"""The turnaround rule of one-to-one consultations, in one place.

A consultation is a ServiceRequest of category *Consultation* (SNOMED 11429006), asked at its
``authoredOn``. Its answer is a ``completed`` Communication whose ``basedOn`` names the
request, given at its ``sent``; several answers count from the first. Its turnaround is the
time from ``authoredOn`` to the first answer's ``sent``. Both the outcome indicator
``consultation-turnaround`` (from the facts kept on write, ``registry.services.outcomes.facts``)
and the operation ``Organization/[id]/$consultation-turnaround``
(``registry.services.programs.consultations``) read the rule here, so that the two figures
never disagree on what they count.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from registry.services.sessions import parse_instant

CATEGORY = {"system": "http://snomed.info/sct", "code": "11429006", "display": "Consultation"}
SECONDS_PER_HOUR = 3600


def is_consultation(resource: dict[str, Any]) -> bool:
    return resource.get("resourceType") == "ServiceRequest" and any(
        c.get("system") == CATEGORY["system"] and c.get("code") == CATEGORY["code"]
        for cc in resource.get("category") or [] for c in cc.get("coding") or [])


def answered_requests(communication: dict[str, Any]) -> list[str]:
    """The ServiceRequests (``ServiceRequest/ID``) a Communication answers: none unless it is
    ``completed`` and dated by ``sent``."""
    if (communication.get("status") != "completed"
            or not isinstance(communication.get("sent"), str)):
        return []
    return [ref for based in communication.get("basedOn") or []
            if isinstance(ref := (based or {}).get("reference"), str)
            and ref.startswith("ServiceRequest/")]


def first_answer(sent: Iterable[datetime]) -> datetime | None:
    """When a request was answered, from the ``sent`` of its answers."""
    return min(sent, default=None)


def turnaround_seconds(authored: datetime, answered: datetime) -> float:
    return (answered - authored).total_seconds()


def authored(request: dict[str, Any]) -> datetime | None:
    value = request.get("authoredOn")
    return parse_instant(value) if isinstance(value, str) else None
