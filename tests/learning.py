"""Learning resources and completions for the learning and certificate tests."""

from __future__ import annotations

from typing import Any

from tests import factories as f
from tests.casework import ROLE, network, session
from tests.conftest import Fhir

BASE = "https://telementoring.example.org/fhir"
KIND = f"{BASE}/CodeSystem/learning-kind"
TASK = f"{BASE}/CodeSystem/program-task"
DURATION = f"{BASE}/StructureDefinition/learning-duration"


def resource(hub: str, title: str, kind: str = "webinar", language: str = "pt",
             topic: str = "opioid-use-disorder", minutes: int = 45,
             session: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "DocumentReference", "status": "current",
        "type": {"coding": [{"system": KIND, "code": kind}]},
        "category": [{"coding": [{"system": f.TOPIC, "code": topic}]}],
        "custodian": {"reference": hub}, "description": title,
        "extension": [{"url": DURATION, "valueDuration": {
            "value": minutes, "unit": "min", "system": "http://unitsofmeasure.org",
            "code": "min"}}],
        "content": [{"attachment": {"url": f"https://learn.example.org/{kind}/{minutes}",
                                    "title": title, "language": language}}]}
    if session:
        body["context"] = {"encounter": [{"reference": session}]}
    return body


def completion(doc: str, mentee: str, when: str = "2027-03-02T10:00:00Z") -> dict[str, Any]:
    return {"resourceType": "Task", "status": "completed", "intent": "order",
            "code": {"coding": [{"system": TASK, "code": "learning-completion"}]},
            "focus": {"reference": doc}, "owner": {"reference": mentee},
            "executionPeriod": {"end": when}}


def participation_network(fhir: Fhir) -> dict[str, str]:
    """The casework network, where the presenter attended two sessions of the program for an
    hour each and completed a 30-minute podcast: 2.5 hours."""
    found = network(fhir)
    for day, topic in (("2027-03-03", "Induction"), ("2027-03-10", "Tapering")):
        body = session(found["program"], found["tutor"], start=f"{day}T18:00:00Z",
                       end=f"{day}T19:30:00Z", type=[{"text": topic}])
        body["participant"].append({
            "type": [{"coding": [{"system": ROLE, "code": "presenter"}]}],
            "individual": {"reference": found["presenter"]},
            "period": {"start": f"{day}T18:00:00Z", "end": f"{day}T19:00:00Z"}})
        fhir.create(body)
    doc = fhir.create(resource(found["hub"], "Podcast sobre naloxona", "podcast", minutes=30))
    fhir.create(completion(f"DocumentReference/{doc['id']}", found["presenter"]))
    return found
