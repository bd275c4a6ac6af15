"""A small two-country network, written through the store as the system would write it.

Peru (national program ``np-pe``) runs ``hub-1`` with ``spoke-1``; Brazil (``np-br``) runs
``hub-2`` with ``spoke-2``. Every kind of resource exists once on each side (``...-1`` in the
compartment of hub-1/spoke-1, ``...-2`` in hub-2/spoke-2), so a test can ask any role about
"its own" and "someone else's" resource of every kind. ``hub-1``, ``spoke-1``, ``loc-1`` and
``prog-1`` are published; nothing on Brazil's side is.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Flask

from registry.db import unit_of_work
from registry.services.compartment import (
    NETWORK_SYSTEM,
    ORGANIZATION_KIND_SYSTEM,
    OWNER_EXTENSION,
)
from registry.services.store import PendingWrite, ResourceStore

PUBLISHED = {"tag": [{"system": NETWORK_SYSTEM, "code": "published"}]}
SUBJECT = {"display": "de-identified case"}
CONCEPT = {"coding": [{"system": "http://loinc.org", "code": "11506-3"}]}


def ref(key: str) -> dict[str, str]:
    return {"reference": key}


def owner(key: str) -> list[dict[str, Any]]:
    return [{"url": OWNER_EXTENSION, "valueReference": ref(key)}]


def kind(code: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": ORGANIZATION_KIND_SYSTEM, "code": code}]}]


def _side(n: str, country: str, published: bool) -> list[dict[str, Any]]:
    """Every kind of resource of one hub/spoke pair."""
    meta = {"meta": PUBLISHED} if published else {}
    hub, spoke = f"Organization/hub-{n}", f"Organization/spoke-{n}"
    composition = {"resourceType": "Composition", "status": "final", "type": CONCEPT,
                   "date": "2026-01-01", "author": [ref(spoke)], "title": f"Case {n}",
                   "custodian": ref(spoke)}
    return [
        {"resourceType": "Organization", "id": f"np-{country.lower()}", "name": f"NP {country}",
         "type": kind("national-program"), "address": [{"country": country}]},
        {"resourceType": "Organization", "id": f"hub-{n}", "name": f"Hub {n}", **meta,
         "type": kind("hub"), "partOf": ref(f"Organization/np-{country.lower()}")},
        {"resourceType": "Organization", "id": f"spoke-{n}", "name": f"Spoke {n}", **meta,
         "type": kind("spoke"), "partOf": ref(hub)},
        {"resourceType": "Location", "id": f"loc-{n}", "name": f"Site {n}", **meta,
         "managingOrganization": ref(spoke)},
        {"resourceType": "OrganizationAffiliation", "id": f"aff-{n}", "organization": ref(hub),
         "participatingOrganization": ref(spoke)},
        {"resourceType": "Practitioner", "id": f"prac-{n}", "name": [{"family": f"Tutor{n}"}],
         "extension": owner(hub)},
        {"resourceType": "PractitionerRole", "id": f"role-{n}", "organization": ref(hub),
         "practitioner": ref(f"Practitioner/prac-{n}")},
        {"resourceType": "HealthcareService", "id": f"prog-{n}", "name": f"Program {n}",
         **meta, "providedBy": ref(hub)},
        {"resourceType": "Endpoint", "id": f"ep-{n}", "status": "active",
         "connectionType": {"system": "http://terminology.hl7.org/CodeSystem/endpoint-"
                            "connection-type", "code": "hl7-fhir-rest"},
         "payloadType": [{"text": "FHIR"}], "address": f"https://node{n}.example/fhir",
         "managingOrganization": ref(hub)},
        {"resourceType": "Encounter", "id": f"sess-{n}", "status": "finished",
         "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR"},
         "serviceProvider": ref(hub)},
        {"resourceType": "Group", "id": f"cohort-{n}", "type": "practitioner", "actual": True,
         "managingEntity": ref(hub)},
        {"resourceType": "PlanDefinition", "id": f"plan-{n}", "status": "active",
         "extension": owner(hub)},
        {"resourceType": "CarePlan", "id": f"workplan-{n}", "status": "active",
         "intent": "plan", "subject": ref(f"Group/cohort-{n}"), "author": ref(hub)},
        {"resourceType": "Questionnaire", "id": f"quest-{n}", "status": "active",
         "extension": owner(hub)},
        {"resourceType": "QuestionnaireResponse", "id": f"resp-{n}", "status": "completed",
         "author": ref(spoke)},
        {**composition, "id": f"case-{n}"},
        {"resourceType": "Bundle", "id": f"doc-{n}", "type": "document",
         "timestamp": "2026-01-01T00:00:00Z",
         "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:doc-{n}"},
         "entry": [{"fullUrl": f"urn:uuid:c-{n}", "resource": composition}]},
        {"resourceType": "Condition", "id": f"cond-{n}", "subject": SUBJECT,
         "extension": owner(spoke)},
        {"resourceType": "Observation", "id": f"obs-{n}", "status": "final", "code": CONCEPT,
         "extension": owner(spoke)},
        {"resourceType": "MedicationStatement", "id": f"med-{n}", "status": "active",
         "medicationCodeableConcept": CONCEPT, "subject": SUBJECT, "extension": owner(spoke)},
        {"resourceType": "Communication", "id": f"rec-{n}", "status": "completed",
         "about": [ref(f"Composition/case-{n}")]},
        {"resourceType": "MeasureReport", "id": f"report-{n}", "status": "complete",
         "type": "summary", "measure": "https://telementoring.example.org/fhir/Measure/m",
         "period": {"start": "2026-01-01", "end": "2026-06-30"}, "reporter": ref(hub)},
        {"resourceType": "Provenance", "id": f"prov-{n}", "target": [ref(hub)],
         "recorded": "2026-01-01T00:00:00Z", "agent": [{"who": ref(hub)}]},
    ]


def network_resources() -> list[dict[str, Any]]:
    shared = [
        {"resourceType": "Measure", "id": "measure", "status": "active",
         "url": "https://telementoring.example.org/fhir/Measure/m"},
        {"resourceType": "CodeSystem", "id": "codesystem", "status": "active",
         "content": "complete", "url": "https://telementoring.example.org/fhir/CodeSystem/x"},
        {"resourceType": "ValueSet", "id": "valueset", "status": "active",
         "url": "https://telementoring.example.org/fhir/ValueSet/x"},
        {"resourceType": "StructureDefinition", "id": "profile", "status": "active",
         "url": "https://telementoring.example.org/fhir/StructureDefinition/p", "name": "P",
         "kind": "resource", "abstract": False, "type": "Organization"},
        {"resourceType": "AuditEvent", "id": "audit-1",
         "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
                  "code": "rest"},
         "recorded": "2026-01-01T00:00:00Z", "agent": [{"requestor": True}],
         "source": {"observer": {"display": "test"}}},
    ]
    return _side("1", "PE", True) + _side("2", "BR", False) + shared


def load_network(app: Flask) -> dict[str, dict[str, Any]]:
    """Write the network in one transaction; returns the bodies by ``Type/id``."""
    bodies = network_resources()
    with app.app_context(), unit_of_work(write=True) as conn:
        store = ResourceStore(conn, app.extensions["registry.node"])
        store.persist([PendingWrite(b["resourceType"], b["id"], copy.deepcopy(b), "PUT")
                       for b in bodies])
    return {f"{b['resourceType']}/{b['id']}": b for b in bodies}
