"""A small program for the cohort, schedule and calendar tests: the casework network plus
three mentees at the spoke, a cohort, a curriculum and the cohort's adapted plan."""

from __future__ import annotations

from typing import Any

from tests import factories as f
from tests.casework import network, person
from tests.conftest import Fhir

BASE = "https://telementoring.example.org/fhir"
COHORT_PROGRAM = f"{BASE}/StructureDefinition/cohort-program"
SESSION_COHORT = f"{BASE}/StructureDefinition/session-cohort"
ADAPTATION = f"{BASE}/StructureDefinition/curriculum-adaptation"
OWNER = f"{BASE}/StructureDefinition/owner"
CURRICULUM = f"{BASE}/PlanDefinition/sud-basics"
NEEDS = f"{BASE}/Questionnaire/needs-assessment"
TOPIC = f"{BASE}/CodeSystem/program-topic"


def cohort(program: str, hub: str, mentees: list[str], name: str = "Coorte 2027") -> dict:
    return {"resourceType": "Group", "type": "practitioner", "actual": True, "name": name,
            "extension": [{"url": COHORT_PROGRAM, "valueReference": {"reference": program}}],
            "managingEntity": {"reference": hub},
            "member": [{"entity": {"reference": m}} for m in mentees]}


def curriculum(hub: str) -> dict[str, Any]:
    def action(aid: str, title: str, need: str) -> dict[str, Any]:
        return {"id": aid, "title": title,
                "reason": [{"coding": [{"system": TOPIC, "code": need}]}]}
    return {"resourceType": "PlanDefinition", "url": CURRICULUM, "status": "active",
            "title": "Basics of substance use care",
            "extension": [{"url": OWNER, "valueReference": {"reference": hub}}],
            "action": [action("screening", "Screening", "substance-use-disorders"),
                       action("buprenorphine", "Buprenorphine induction",
                              "opioid-use-disorder"),
                       action("alcohol", "Alcohol withdrawal", "alcohol-use-disorder")]}


def activity(code: str, title: str, kind: str, reason: str | None = None,
             status: str = "not-started", system: str = CURRICULUM) -> dict[str, Any]:
    detail: dict[str, Any] = {"status": status, "code": {
        "coding": [{"system": system, "code": code, "display": title}]}}
    if reason:
        detail["reasonCode"] = [{"text": reason}]
    return {"extension": [{"url": ADAPTATION, "valueCode": kind}], "detail": detail}


def care_plan(group: str, hub: str) -> dict[str, Any]:
    """The cohort's plan: buprenorphine first (moved), screening kept, alcohol dropped, and a
    topic the cohort added."""
    return {"resourceType": "CarePlan", "status": "active", "intent": "plan",
            "instantiatesCanonical": [CURRICULUM], "subject": {"reference": group},
            "author": {"reference": hub}, "activity": [
                activity("buprenorphine", "Buprenorphine induction", "moved",
                         "Most mentees named opioid use first"),
                activity("screening", "Screening", "kept"),
                activity("alcohol", "Alcohol withdrawal", "dropped", "Covered by another program",
                         status="cancelled"),
                activity("harm-reduction", "Harm reduction in rural clinics", "added",
                         "Rural mentees asked for it", system=f"{BASE}/CarePlan/topics")]}


def needs_response(author: str, discipline: str, settlement: str, needs: list[str],
                   authored: str = "2027-01-10") -> dict[str, Any]:
    def coded(system: str, code: str) -> dict[str, Any]:
        return {"valueCoding": {"system": f"{BASE}/CodeSystem/{system}", "code": code}}
    return {"resourceType": "QuestionnaireResponse", "questionnaire": NEEDS,
            "status": "completed", "authored": authored, "author": {"reference": author},
            "item": [{"linkId": "discipline", "answer": [coded("discipline", discipline)]},
                     {"linkId": "settlement", "answer": [coded("settlement", settlement)]},
                     {"linkId": "needs", "answer": [coded("program-topic", n) for n in needs]}]}


def program_network(fhir: Fhir) -> dict[str, Any]:
    refs: dict[str, Any] = network(fhir)
    mentees = []
    for family, given, discipline in (("Quispe", "Rosa", "nursing"),
                                      ("Mamani", "Luis", "primary-care"),
                                      ("Huamán", "Elena", "nursing")):
        who = fhir.create(person(family, given))
        role = fhir.create(f.role(f"Practitioner/{who['id']}", refs["spoke"], "mentee",
                                  discipline, country="BR"))
        mentees.append(f"PractitionerRole/{role['id']}")
    refs["mentees"] = mentees
    group = fhir.create(cohort(refs["program"], refs["hub"], mentees))
    refs["cohort"] = f"Group/{group['id']}"
    refs["curriculum"] = f"PlanDefinition/{fhir.create(curriculum(refs['hub']))['id']}"
    refs["plan"] = f"CarePlan/{fhir.create(care_plan(refs['cohort'], refs['hub']))['id']}"
    return refs
