"""One-to-one consultations: a spoke clinician asks the hub, the hub assigns a tutor, answers.

The question is a ServiceRequest (category SNOMED 11429006 *Consultation*): ``requester`` the
clinician's PractitionerRole (so it belongs to their spoke and hub), ``performer`` the hub
Organization, ``code`` the program topic, ``priority`` the urgency, the preferred channel in the
``consultation-channel`` extension, and the de-identified question in ``note.text``. Its free
text is scrubbed by the case transform, the one place that de-identifies free text
(``registry.services.cases.recommendations``); it names no patient (``subject`` is a display,
never a Patient reference). The hub assigns it with a Task (``basedOn`` the request, ``owner``
the tutor) and answers with a Communication (``basedOn`` and ``about`` the request, ``sent``).

Turnaround per hub (``Organization/[id]/$consultation-turnaround``) is the time from
``authoredOn`` to the first answer's ``sent``, in hours: the rule of
``registry.services.consultation``, which the outcome indicator ``consultation-turnaround``
follows too.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from datetime import date
from typing import Any

from registry.errors import InvalidRequest, Issue, error
from registry.services.consultation import (
    SECONDS_PER_HOUR,
    answered_requests,
    authored,
    first_answer,
    turnaround_seconds,
)
from registry.services.fhir import FhirService
from registry.services.node import Resolver
from registry.services.programs.model import (
    CHANNELS,
    CONSULTATION,
    CONSULTATION_CHANNEL,
    PRIORITIES,
    TOPIC_SYSTEM,
    codes,
    search_all,
)
from registry.services.sessions import parse_instant

REQUESTS_PER_SEARCH = 50


def check_consultation(request: dict[str, Any], resolve: Resolver) -> list[Issue]:
    """What a consultation request must say: who asks, which hub, topic, urgency, channel."""
    issues = []
    requester = (request.get("requester") or {}).get("reference")
    if not isinstance(requester, str) or not requester.startswith("PractitionerRole/"):
        issues.append(error("business-rule", "a consultation is asked by a clinician's "
                            "PractitionerRole", "ServiceRequest.requester"))
    performers = [p.get("reference") for p in request.get("performer") or []]
    if not any(isinstance(p, str) and p.startswith("Organization/") for p in performers):
        issues.append(error("business-rule", "a consultation names the hub it asks "
                            "(an Organization) as performer", "ServiceRequest.performer"))
    if (request.get("subject") or {}).get("reference"):
        issues.append(error("business-rule", "a consultation names no patient: give the "
                            "subject as a display only", "ServiceRequest.subject"))
    if not codes(request.get("code"), TOPIC_SYSTEM):
        issues.append(error("business-rule", "a consultation has a program topic in code",
                            "ServiceRequest.code"))
    if request.get("priority", "routine") not in PRIORITIES:
        issues.append(error("code-invalid", f"priority is one of {', '.join(PRIORITIES)}",
                            "ServiceRequest.priority"))
    channel = next((e.get("valueCode") for e in request.get("extension") or []
                    if e.get("url") == CONSULTATION_CHANNEL), "video")
    if channel not in CHANNELS:
        issues.append(error("code-invalid", f"the channel is one of {', '.join(CHANNELS)}",
                            "ServiceRequest.extension"))
    return issues


def turnaround(service: FhirService, hub_id: str, params: Mapping[str, list[str]]
               ) -> dict[str, Any]:
    """Parameters: consultations asked of the hub in the period, answered, and the hours to the
    first answer (median, mean, longest)."""
    start, end = _period(params)
    query = {"performer": [f"Organization/{hub_id}"],
             "category": [f"{CONSULTATION['system']}|{CONSULTATION['code']}"]}
    requests = [r for r in search_all(service, "ServiceRequest", query)
                if _within(r.get("authoredOn"), start, end)]
    answered = first_answers(service, [str(r["id"]) for r in requests])
    hours = sorted(round(turnaround_seconds(asked, answered[str(r["id"])]) / SECONDS_PER_HOUR, 2)
                   for r in requests
                   if str(r["id"]) in answered and (asked := authored(r)) is not None)
    parts: list[dict[str, Any]] = [
        {"name": "hub", "valueReference": {"reference": f"Organization/{hub_id}"}},
        {"name": "requested", "valueInteger": len(requests)},
        {"name": "answered", "valueInteger": len(hours)}]
    if hours:
        parts += [{"name": "median-hours", "valueDecimal": round(statistics.median(hours), 2)},
                  {"name": "mean-hours", "valueDecimal": round(statistics.fmean(hours), 2)},
                  {"name": "longest-hours", "valueDecimal": hours[-1]}]
    return {"resourceType": "Parameters", "parameter": parts}


def first_answers(service: FhirService, request_ids: list[str]) -> dict[str, Any]:
    """The time of the first answer of each request (the rule's)."""
    sent: dict[str, list[Any]] = {}
    for i in range(0, len(request_ids), REQUESTS_PER_SEARCH):
        refs = ",".join(f"ServiceRequest/{r}" for r in request_ids[i:i + REQUESTS_PER_SEARCH])
        for answer in search_all(service, "Communication", {"based-on": [refs]}):
            for ref in answered_requests(answer):
                sent.setdefault(ref.removeprefix("ServiceRequest/"), []).append(
                    parse_instant(answer["sent"]))
    return {request: first_answer(times) for request, times in sent.items()}


def _period(params: Mapping[str, list[str]]) -> tuple[date | None, date | None]:
    def one(name: str) -> date | None:
        values = params.get(name) or []
        if not values:
            return None
        try:
            return date.fromisoformat(values[0])
        except ValueError:
            raise InvalidRequest(f"{name} must be a date (YYYY-MM-DD)", name) from None
    return one("periodStart"), one("periodEnd")


def _within(authored: Any, start: date | None, end: date | None) -> bool:
    if not isinstance(authored, str):
        return False
    day = parse_instant(authored).date() if len(authored) > 10 else date.fromisoformat(authored)
    return (start is None or day >= start) and (end is None or day <= end)
