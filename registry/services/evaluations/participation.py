"""Participation in a program's sessions (Moore level 1): finished sessions, distinct
participants and participant-hours, from each attendance period of the program's Encounters.

Read through the search service (so under the caller's policy), page by page; the sessions
of one program are a few hundred a year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registry.services.fhir import FhirService

PAGE = 500


@dataclass(frozen=True)
class Participation:
    sessions: int
    participants: int
    participant_hours: float


def participation(service: FhirService, program: str) -> Participation:
    sessions, people, seconds, offset = 0, set(), 0.0, 0
    while True:
        _, result = service.search("Encounter", {
            "program": [program], "status": ["finished"], "_count": [str(PAGE)],
            "_offset": [str(offset)]})
        for stored in result.matches:
            sessions += 1
            for participant in stored.resource().get("participant", []):
                people.add(participant.get("individual", {}).get("reference"))
                seconds += _seconds(participant.get("period", {}))
        offset += len(result.matches)
        if not result.has_more:
            return Participation(sessions, len(people - {None}), seconds / 3600)


def _seconds(period: dict[str, Any]) -> float:
    try:
        start = datetime.fromisoformat(period["start"])
        end = datetime.fromisoformat(period["end"])
    except (KeyError, TypeError, ValueError):
        return 0.0
    return max(0.0, (end - start).total_seconds())
