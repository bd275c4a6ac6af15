"""A small evaluated network for the evaluation tests: one hub, one spoke, a program, a
cohort, mentees, and responses built from the network's instruments."""

from __future__ import annotations

import copy
from typing import Any

from registry.services.evaluations.instruments import bundled
from registry.services.evaluations.links import link_extensions
from tests import factories as f
from tests.conftest import Fhir

SUD = "https://telementoring.example.org/fhir/Questionnaire/knowledge-sud"
SELF_EFFICACY = "https://telementoring.example.org/fhir/Questionnaire/self-efficacy"


def instrument(url: str) -> dict[str, Any]:
    return copy.deepcopy(bundled()[url])


def network(fhir: Fhir, mentees: int = 3) -> dict[str, Any]:
    hub = fhir.create(f.hub("Hub Andes"))
    spoke = fhir.create(f.spoke("Posta Uno", f"Organization/{hub['id']}"))
    program = fhir.create(f.program("ECHO SUD", f"Organization/{hub['id']}"))
    roles = []
    for n in range(mentees):
        person = fhir.create(f.practitioner(f"Mentee{n}"))
        roles.append(fhir.create(f.role(f"Practitioner/{person['id']}",
                                        f"Organization/{spoke['id']}", code="mentee",
                                        discipline="nursing" if n % 2 else "family-medicine")))
    cohort = fhir.create({"resourceType": "Group", "type": "practitioner", "actual": True,
                          "managingEntity": {"reference": f"Organization/{hub['id']}"},
                          "member": [{"entity": {"reference": f"PractitionerRole/{r['id']}"}}
                                     for r in roles]})
    return {"hub": hub, "spoke": spoke, "program": f"HealthcareService/{program['id']}",
            "cohort": f"Group/{cohort['id']}", "roles": [r["id"] for r in roles]}


def response(url: str, role_id: str, phase: str, answers: dict[str, str], *,
             program: str | None = None, cohort: str | None = None,
             authored: str = "2026-03-01") -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "status": "completed",
            "questionnaire": url,
            "extension": link_extensions(program or "HealthcareService/x", cohort, phase),
            "author": {"reference": f"PractitionerRole/{role_id}"}, "authored": authored,
            "item": [{"linkId": link, "answer": [{"valueCoding": {"code": code}}]}
                     for link, code in answers.items()]}
