"""A small telementoring network for the session, attendance and case tests.

Built through the API (so profiles, versions and index rows are real): a hub with a program,
a spoke, a tutor and a presenter (with e-mail addresses), and one session of the program.
Names here are deliberately different from the identifiers planted in cases.
"""

from __future__ import annotations

from typing import Any

from tests import factories as f
from tests.conftest import Fhir

BASE = "https://telementoring.example.org/fhir"
SESSION_PROGRAM = f"{BASE}/StructureDefinition/session-program"
ROLE = f"{BASE}/CodeSystem/program-role"
VR = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR",
      "display": "virtual"}


def session(program_ref: str, tutor_ref: str, *, start: str = "2026-11-05T18:55:00Z",
            end: str = "2026-11-05T20:05:00Z", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Encounter", "status": "finished", "class": dict(VR),
            "extension": [{"url": SESSION_PROGRAM, "valueReference": {"reference": program_ref}}],
            "serviceType": {"coding": [{"system": f.TOPIC, "code": "substance-use-disorders"}]},
            "type": [{"text": "Buprenorphine induction at home"}],
            "period": {"start": start, "end": end},
            "participant": [{"type": [{"coding": [{"system": ROLE, "code": "tutor"}]}],
                             "individual": {"reference": tutor_ref}}], **extra}


def person(family: str, given: str, email: str | None = None) -> dict[str, Any]:
    body = f.practitioner(family, given)
    if email:
        body["telecom"] = [{"system": "email", "value": email}]
    return body


def network(fhir: Fhir) -> dict[str, str]:
    """References (Type/ID) of the network's resources, keyed by what they are."""
    refs: dict[str, str] = {}

    def add(key: str, body: dict[str, Any]) -> str:
        refs[key] = f"{body['resourceType']}/{fhir.create(body)['id']}"
        return refs[key]

    hub = add("hub", f.hub("Hub Sudeste (teste)", "BR", ident="HUB-SE"))
    spoke = add("spoke", f.spoke("Clínica Rural San Isidro", hub, "BR", ident="SPK-SI"))
    add("other_spoke", f.spoke("UBS Vila Nova", hub, "BR", ident="SPK-VN"))
    program = add("program", f.program("ECHO Dependência Química", hub, languages=("pt",),
                                       country="BR"))
    tutor = add("tutor_person", person("Fernández", "Lucía", "hub.hepatitis@example.org"))
    add("tutor", f.role(tutor, hub, "tutor", "psychiatry", country="BR"))
    presenter = add("presenter_person", person("Pérez", "Ana", "ana.perez@example.org"))
    add("presenter", f.role(presenter, spoke, "presenter", "primary-care", country="BR"))
    add("session", session(program, refs["tutor"]))
    return refs
