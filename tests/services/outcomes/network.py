"""A small network with sessions, attendance, cases and recommendations for the indicator
tests, written through the API so that the outcome facts are the write path's own."""

from __future__ import annotations

import copy
from typing import Any

from flask import Flask

from registry.services.audit import AuditTrail
from registry.services.caller import Caller
from registry.services.loading import LoadReport, load_batch
from registry.services.outcomes.measures import measure_resources
from registry.services.unit import unit_of_work
from tests import factories as f
from tests.casework import ROLE, network, session
from tests.conftest import TEST_BASE, Fhir

XHTML = 'xmlns="http://www.w3.org/1999/xhtml"'


def attendee(ref: str, day: str, start: str, end: str, code: str = "mentee") -> dict[str, Any]:
    return {"type": [{"coding": [{"system": ROLE, "code": code}]}],
            "period": {"start": f"{day}T{start}:00Z", "end": f"{day}T{end}:00Z"},
            "individual": {"reference": ref}}


def held(fhir: Fhir, refs: dict[str, str], day: str, people: list[dict[str, Any]],
         program: str = "program", topic: str = "substance-use-disorders") -> str:
    body = session(refs[program], refs["tutor"], start=f"{day}T14:00:00Z",
                   end=f"{day}T15:30:00Z")
    body["serviceType"] = {"coding": [{"system": f.TOPIC, "code": topic}]}
    body["participant"] += people
    return f"Encounter/{fhir.create(body)['id']}"


def case(fhir: Fhir, refs: dict[str, str], session_ref: str, day: str,
         follow_up_of: str | None = None) -> str:
    composition: dict[str, Any] = {
        "resourceType": "Composition", "status": "final", "title": "Case",
        "type": {"coding": [{"system": "http://loinc.org", "code": "11488-4"}]},
        "date": day, "subject": {"reference": "urn:uuid:p1"},
        "author": [{"reference": refs["presenter"]}], "encounter": {"reference": session_ref},
        "section": [{"title": "Question", "text": {
            "status": "generated", "div": f"<div {XHTML}><p>Dose of naltrexone? {day}</p></div>"}}]}
    if follow_up_of:
        composition["relatesTo"] = [{"code": "appends",
                                     "targetReference": {"reference": follow_up_of}}]
    bundle = {"resourceType": "Bundle", "type": "document", "entry": [
        {"fullUrl": "urn:uuid:0b6c6f36-1d1f-4d55-9a43-3c1f4a4e0001", "resource": composition},
        {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "gender": "female"}}]}
    response = fhir.post("Bundle", bundle)
    assert response.status_code == 201, response.get_data(as_text=True)
    found = fhir.search(f"Composition?encounter={session_ref}")["entry"]
    return f"Composition/{found[-1]['resource']['id']}"


def recommend(fhir: Fhir, refs: dict[str, str], composition: str, session_ref: str,
              sent: str) -> None:
    fhir.create({"resourceType": "Communication", "status": "completed", "sent": sent,
                 "about": [{"reference": composition}], "encounter": {"reference": session_ref},
                 "sender": {"reference": refs["tutor"]},
                 "recipient": [{"reference": refs["presenter"]}],
                 "payload": [{"contentString": "Start at 25 mg."}]})


def outcomes_network(fhir: Fhir) -> dict[str, str]:
    """The casework network plus mentees at two spokes (rural and urban), a second program
    and sites; returns the references."""
    refs = network(fhir)

    def add(key: str, body: dict[str, Any]) -> str:
        refs[key] = f"{body['resourceType']}/{fhir.create(body)['id']}"
        return refs[key]

    add("rural_site", f.site("Sitio rural", refs["spoke"], -12.0, -77.0, "rural", "BR"))
    add("urban_site", f.site("Sitio urbano", refs["other_spoke"], -12.1, -77.1, "urban", "BR"))
    add("affiliation", {**f.affiliation(refs["hub"], refs["spoke"], "BR"),
                        "period": {"start": "2026-11-02"}})
    add("program2", f.program("ECHO Dor", refs["hub"], topic="pain-opioid-management",
                              country="BR"))
    for n, (spoke, discipline) in enumerate([("spoke", "nursing"), ("spoke", "primary-care"),
                                             ("other_spoke", "nursing")]):
        person = add(f"mentee{n}_person", f.practitioner(f"Mentee{n}", "Rui"))
        add(f"mentee{n}", f.role(person, refs[spoke], "mentee", discipline, country="BR"))
    return refs


def store_measures(app: Flask, measures: list[dict[str, Any]] | None = None) -> None:
    """Store the network's Measures as ``registry db upgrade`` does: as the node itself."""
    with app.app_context(), unit_of_work(app.extensions["registry.database"],
                                         app.extensions["registry.node"], Caller.node(),
                                         AuditTrail(), TEST_BASE, write=True) as node:
        load_batch(node, copy.deepcopy(measures or measure_resources()), LoadReport())
