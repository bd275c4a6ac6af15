"""A small two-country network, written through the store as the system would write it.

Peru (national program ``np-pe``) runs ``hub-1`` with ``spoke-1``; Brazil (``np-br``) runs
``hub-2`` with ``spoke-2``. Every kind of resource exists once on each side (``...-1`` in the
compartment of hub-1/spoke-1, ``...-2`` in hub-2/spoke-2), so a test can ask any role about
"its own" and "someone else's" resource of every kind. ``hub-1``, ``spoke-1``, ``loc-1`` and
``prog-1`` are published; nothing on Brazil's side is.

Every resource conforms to the network's profiles (shapes from ``tests.factories`` and
``tests.casework``) and goes through ``prepare`` and ``persist`` (``load_batch``), like the
demo loader. Case-level data is created the only way the product allows: one case
presentation per side, a document Bundle (``Bundle/doc-n``) presented by ``presenter-n`` (a
PractitionerRole at ``spoke-n``) in session ``sess-n``; the transform step de-identifies it and
extracts its Composition, Condition, Observation and MedicationStatement under pseudonymous ids.
The loader reads those ids back from the stored Bundle and exposes them as *aliases*
(``Composition/case-n``, ``Condition/cond-n``, ``Observation/obs-n``,
``MedicationStatement/med-n``), so tests can name them as before. The recommendation
``Communication/rec-n`` is written afterwards, about the real Composition.

Cases are de-identified with a fixed test secret, so the pseudonymous ids are the same on
every load (and a case that was deleted can be presented again under the same ids).
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from typing import Any

from flask import Flask

from registry.services.audit import AuditTrail
from registry.services.caller import Caller
from registry.services.compartment import (
    NETWORK_SYSTEM,
    ORGANIZATION_KIND_SYSTEM,
    OWNER_EXTENSION,
)
from registry.services.fhir import FhirService
from registry.services.loading import CONFORMANCE_TYPES, LoadReport, load_batch
from registry.services.unit import unit_of_work
from registry.services.writes.pending import PendingWrite
from registry.services.writes.persist import persist
from tests import factories as f
from tests.casework import session
from tests.conftest import TEST_BASE, system_service

SECRET = "security-test-network-secret"
PUBLISHED = {"tag": [{"system": NETWORK_SYSTEM, "code": "published"}]}
CONCEPT = {"coding": [{"system": "http://loinc.org", "code": "11506-3"}]}
XHTML = "http://www.w3.org/1999/xhtml"
# What each side's case Bundle is extracted into, by alias prefix.
CASE_PARTS = {"Composition": "case", "Condition": "cond", "Observation": "obs",
              "MedicationStatement": "med"}


def ref(key: str) -> dict[str, str]:
    return {"reference": key}


def owner(key: str) -> list[dict[str, Any]]:
    return [{"url": OWNER_EXTENSION, "valueReference": ref(key)}]


def kind(code: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": ORGANIZATION_KIND_SYSTEM, "code": code}]}]


@dataclass(frozen=True)
class Loaded:
    """What ``load_network`` wrote: the bodies as submitted, by ``Type/id`` (``Bundle/doc-n``
    is the document before de-identification; the extracted parts are not among them), and
    the alias -> real ``Type/id`` map of the extracted parts."""

    bodies: dict[str, dict[str, Any]]
    aliases: dict[str, str]


def with_id(res_id: str, body: dict[str, Any], published: bool = False) -> dict[str, Any]:
    return {**body, "id": res_id, **({"meta": copy.deepcopy(PUBLISHED)} if published else {})}


def _directory(n: str, country: str, published: bool) -> list[dict[str, Any]]:
    """Directory and program resources of one hub/spoke pair (everything but case data)."""
    hub, spoke, np = f"Organization/hub-{n}", f"Organization/spoke-{n}", f"np-{country.lower()}"
    program, tutor = f"HealthcareService/prog-{n}", f"PractitionerRole/role-{n}"
    language = "es" if country == "PE" else "pt"
    national = f.hub(f"NP {country}", country, ident=f"NP-{country}")
    national["type"] = kind("national-program")
    return [
        with_id(np, national),
        with_id(f"hub-{n}", f.hub(f"Hub {n}", country, ident=f"HUB-{n}",
                                  partOf=ref(f"Organization/{np}")), published),
        with_id(f"spoke-{n}", f.spoke(f"Spoke {n}", hub, country, ident=f"SPOKE-{n}"),
                published),
        with_id(f"loc-{n}", f.site(f"Site {n}", spoke, -13.5, -71.9, country=country),
                published),
        with_id(f"aff-{n}", f.affiliation(hub, spoke, country)),
        with_id(f"prac-{n}", {**f.practitioner(f"Tutor{n}"), "extension": owner(hub)}),
        with_id(f"role-{n}", f.role(f"Practitioner/prac-{n}", hub, country=country)),
        with_id(f"mentee-{n}", {**f.practitioner(f"Mentee{n}"), "extension": owner(spoke)}),
        with_id(f"presenter-{n}", f.role(f"Practitioner/mentee-{n}", spoke, "presenter",
                                         "primary-care", country=country)),
        with_id(f"prog-{n}", f.program(f"Program {n}", hub, languages=(language,),
                                       country=country), published),
        with_id(f"ep-{n}", {"resourceType": "Endpoint", "status": "active",
                            "name": f"Node {n}",
                            "connectionType": {"system": "http://terminology.hl7.org/"
                                               "CodeSystem/endpoint-connection-type",
                                               "code": "hl7-fhir-rest"},
                            "payloadType": [{"text": "FHIR"}],
                            "address": f"https://node{n}.example/fhir",
                            "managingOrganization": ref(hub)}),
        with_id(f"sess-{n}", session(program, tutor, serviceProvider=ref(hub))),
        {"resourceType": "Group", "id": f"cohort-{n}", "type": "practitioner", "actual": True,
         "managingEntity": ref(hub)},
        {"resourceType": "PlanDefinition", "id": f"plan-{n}", "status": "active",
         "extension": owner(hub)},
        {"resourceType": "CarePlan", "id": f"workplan-{n}", "status": "active",
         "intent": "plan", "subject": ref(f"Group/cohort-{n}"), "author": ref(hub)},
        {"resourceType": "ServiceRequest", "id": f"consult-{n}", "status": "active",
         "intent": "order", "category": [{"coding": [{"system": "http://snomed.info/sct",
                                                      "code": "11429006"}]}],
         "subject": {"display": "de-identified patient"}, "priority": "urgent",
         "code": {"coding": [{"system": f.TOPIC, "code": "opioid-use-disorder"}]},
         "requester": ref(f"PractitionerRole/presenter-{n}"), "performer": [ref(hub)],
         "note": [{"text": "Dose adjustment after relapse?"}]},
        {"resourceType": "Task", "id": f"task-{n}", "status": "accepted", "intent": "order",
         "basedOn": [ref(f"ServiceRequest/consult-{n}")], "owner": ref(tutor)},
        {"resourceType": "DocumentReference", "id": f"learn-{n}", "status": "current",
         "custodian": ref(hub), "description": "Recording of a past didactic",
         "content": [{"attachment": {"url": f"https://video.example/{n}", "language": language,
                                     "title": "Buprenorphine induction"}}]},
        {"resourceType": "Questionnaire", "id": f"quest-{n}", "status": "active",
         "extension": owner(hub)},
        {"resourceType": "QuestionnaireResponse", "id": f"resp-{n}", "status": "completed",
         "author": ref(spoke)},
        {"resourceType": "MeasureReport", "id": f"report-{n}", "status": "complete",
         "type": "summary", "measure": "https://telementoring.example.org/fhir/Measure/m",
         "period": {"start": "2026-01-01", "end": "2026-06-30"}, "reporter": ref(hub)},
        {"resourceType": "Provenance", "id": f"prov-{n}", "target": [ref(hub)],
         "recorded": "2026-01-01T00:00:00Z", "agent": [{"who": ref(hub)}]},
    ]


def case_document(n: str, *, title: str | None = None, fresh: bool = False) -> dict[str, Any]:
    """The case presentation of side ``n``, as the spoke's system sends it: a document Bundle
    with a Composition, the Patient, a Condition, an Observation and a MedicationStatement.
    ``fresh`` gives new ``urn:uuid`` fullUrls, hence a new case (new pseudonymous ids)."""
    urls = {part: f"urn:uuid:{uuid.uuid4() if fresh else uuid.UUID(int=i + 16 * int(n))}"
            for i, part in enumerate(("Composition", "Patient", *list(CASE_PARTS)[1:]))}
    patient = ref(urls["Patient"])
    div = f'<div xmlns="{XHTML}"><p>Low mood, daily alcohol use.</p></div>'
    resources = {
        "Composition": {
            "resourceType": "Composition", "status": "final", "title": title or f"Case {n}",
            "type": {"coding": [{"system": "http://loinc.org", "code": "11488-4"}]},
            "date": "2026-11-05", "subject": patient,
            "author": [ref(f"PractitionerRole/presenter-{n}")],
            "encounter": ref(f"Encounter/sess-{n}"),
            "section": [{"title": "Presenting problem",
                         "text": {"status": "generated", "div": div},
                         "entry": [ref(urls[t]) for t in list(CASE_PARTS)[1:]]}]},
        "Patient": {"resourceType": "Patient", "gender": "female", "birthDate": "1957"},
        "Condition": {"resourceType": "Condition", "subject": patient,
                      "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10",
                                           "code": "F10.20"}]}},
        "Observation": {"resourceType": "Observation", "status": "final", "code": CONCEPT,
                        "subject": patient, "valueQuantity": {"value": 27}},
        "MedicationStatement": {"resourceType": "MedicationStatement", "status": "active",
                                "medicationCodeableConcept": {"text": "naltrexone"},
                                "subject": patient},
    }
    return {"resourceType": "Bundle", "type": "document", "timestamp": "2026-11-05T20:00:00Z",
            "entry": [{"fullUrl": urls[t], "resource": r} for t, r in resources.items()]}


def recommendation(n: str, composition: str) -> dict[str, Any]:
    return {"resourceType": "Communication", "id": f"rec-{n}", "status": "completed",
            "about": [ref(composition)], "encounter": ref(f"Encounter/sess-{n}"),
            "sender": ref(f"PractitionerRole/role-{n}"),
            "recipient": [ref(f"PractitionerRole/presenter-{n}")],
            "payload": [{"contentString": "Start acamprosate; review in four weeks."}]}


def shared_resources() -> list[dict[str, Any]]:
    return [
        {"resourceType": "Measure", "id": "measure", "status": "active",
         "url": "https://telementoring.example.org/fhir/Measure/m"},
        {"resourceType": "Task", "id": "review", "status": "requested", "intent": "proposal",
         "code": {"coding": [{"system": "https://telementoring.example.org/fhir/CodeSystem/"
                                        "task-code", "code": "duplicate-review"}]},
         "focus": {"reference": "Organization/hub-1"}},
        {"resourceType": "CodeSystem", "id": "codesystem", "status": "active",
         "content": "complete", "url": "https://telementoring.example.org/fhir/CodeSystem/x"},
        {"resourceType": "ValueSet", "id": "valueset", "status": "active",
         "url": "https://telementoring.example.org/fhir/ValueSet/x"},
        {"resourceType": "StructureDefinition", "id": "profile", "status": "active",
         "url": "https://telementoring.example.org/fhir/StructureDefinition/p", "name": "P",
         "kind": "resource", "abstract": False, "type": "Organization"},
        {"resourceType": "SearchParameter", "id": "searchparam", "status": "active",
         "url": "https://telementoring.example.org/fhir/SearchParameter/x", "name": "X",
         "code": "x", "base": ["Organization"], "type": "token",
         "description": "A test parameter", "expression": "Organization.type"},
        {"resourceType": "AuditEvent", "id": "audit-1",
         "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
                  "code": "rest"},
         "recorded": "2026-01-01T00:00:00Z", "agent": [{"requestor": True}],
         "source": {"observer": {"display": "test"}}},
    ]


SIDES = (("1", "PE", True), ("2", "BR", False))


def load_network(app: Flask) -> Loaded:
    """Write the network in one transaction: directory, programs and one case per side, then
    the recommendations about the extracted Compositions. The app's node secret must be
    ``SECRET`` (``network_app`` sets it), so the pseudonymous ids are the same on every load."""
    first = [b for n, country, published in SIDES for b in _directory(n, country, published)]
    documents = {n: with_id(f"doc-{n}", case_document(n)) for n, _, _ in SIDES}
    shared = shared_resources()
    records = [b for b in shared if b["resourceType"] == "AuditEvent"]
    conformance = [b for b in shared if b["resourceType"] in CONFORMANCE_TYPES]
    with app.app_context(), unit_of_work(app.extensions["registry.database"],
                                         app.extensions["registry.node"], Caller.node("network"),
                                         AuditTrail(), TEST_BASE, write=True) as node:
        load_batch(node, copy.deepcopy(conformance), LoadReport())  # only the node writes these
    with system_service(app, name="network") as service:
        load_batch(service, copy.deepcopy([*first, *[b for b in shared
                                                     if b not in records + conformance],
                                           *documents.values()]), LoadReport())
        # The trail is the node's own record: it is written as the node writes it.
        persist(service.ctx, [PendingWrite("AuditEvent", b["id"], copy.deepcopy(b), "PUT",
                                           record=True) for b in records])
        aliases = case_aliases(service)
        second = [recommendation(n, aliases[f"Composition/case-{n}"]) for n, _, _ in SIDES]
        load_batch(service, copy.deepcopy(second), LoadReport())
    bodies = {f"{b['resourceType']}/{b['id']}": b for b in [*first, *shared_resources(),
                                                            *documents.values(), *second]}
    return Loaded(bodies, aliases)


def case_aliases(service: FhirService) -> dict[str, str]:
    """``Composition/case-n`` etc. -> the ids the transform gave the parts of ``Bundle/doc-n``
    (read from the stored, de-identified Bundle: its entries carry the stored ids)."""
    aliases = {}
    for n, _, _ in SIDES:
        stored = service.ctx.resources.read("Bundle", f"doc-{n}").resource()
        for entry in stored["entry"]:
            part = entry["resource"]
            prefix = CASE_PARTS.get(part["resourceType"])
            if prefix:
                aliases[f"{part['resourceType']}/{prefix}-{n}"] = (
                    f"{part['resourceType']}/{part['id']}")
    return aliases


def present_again(app: Flask, n: str, aliases: dict[str, str]) -> None:
    """Bring back side ``n``'s case after a test deleted part of it: its remaining parts are
    deleted and the same document is presented again as ``Bundle/doc-n``. Pseudonymous ids are
    deterministic, so the parts come back under the same ids (``aliases`` stay valid); stored
    cases are never changed in place."""
    parts = [key for alias, key in aliases.items() if alias.endswith(f"-{n}")]
    with system_service(app, name="network") as service:
        for key in [f"Bundle/doc-{n}", *parts]:
            res_type, res_id = key.split("/")
            if service.ctx.resources.current(res_type, [res_id]).get(res_id):
                service.delete(res_type, res_id)
        load_batch(service, [with_id(f"doc-{n}", case_document(n))], LoadReport())
