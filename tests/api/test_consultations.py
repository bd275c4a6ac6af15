"""One-to-one consultations: asked by a spoke, assigned and answered by the hub, de-identified
on the way in, kept in their hub and spoke, and timed."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests import factories as f
from tests.casework import network
from tests.conftest import Fhir, make_token

CONSULTATION = {"system": "http://snomed.info/sct", "code": "11429006"}
CHANNEL = "https://telementoring.example.org/fhir/StructureDefinition/consultation-channel"


@pytest.fixture
def refs(fhir: Fhir) -> dict[str, str]:
    return network(fhir)


def as_role(app: Flask, role: str, binding: str | None = None) -> Fhir:
    return Fhir(app.test_client(), make_token(app, role, binding=binding))


def request_body(refs: dict[str, str], question: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "ServiceRequest", "status": "active", "intent": "order",
            "category": [{"coding": [CONSULTATION]}], "priority": "urgent",
            "code": {"coding": [{"system": f.TOPIC, "code": "opioid-use-disorder"}]},
            "extension": [{"url": CHANNEL, "valueCode": "phone"}],
            "subject": {"display": "de-identified patient"},
            "authoredOn": "2027-03-01T10:00:00Z", "requester": {"reference": refs["presenter"]},
            "performer": [{"reference": refs["hub"]}], "note": [{"text": question}], **extra}


def answer(request_ref: str, refs: dict[str, str], sent: str) -> dict[str, Any]:
    return {"resourceType": "Communication", "status": "completed", "sent": sent,
            "category": [{"coding": [CONSULTATION]}],
            "basedOn": [{"reference": request_ref}], "about": [{"reference": request_ref}],
            "sender": {"reference": refs["tutor"]},
            "recipient": [{"reference": refs["presenter"]}],
            "payload": [{"contentString": "Lower the dose and review in a week."}]}


def test_a_consultation_is_asked_deidentified_assigned_answered_and_timed(
        app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    clinician = as_role(app, "spoke-clinician", refs["spoke"])
    hub = as_role(app, "hub-admin", refs["hub"])
    asked = clinician.post("ServiceRequest", request_body(
        refs, "Paciente Roberto Sánchez Villanueva, teléfono +51 984 123 456, recayó tras "
              "reducir buprenorfina. ¿Subimos la dosis?"))
    assert asked.status_code == 201, asked.get_data(as_text=True)
    stored = asked.json["note"][0]["text"]
    assert "Villanueva" not in stored and "984 123 456" not in stored
    assert "buprenorfina" in stored
    ref = f"ServiceRequest/{asked.json['id']}"
    task = hub.post("Task", {"resourceType": "Task", "status": "accepted", "intent": "order",
                             "basedOn": [{"reference": ref}],
                             "owner": {"reference": refs["tutor"]}})
    assert task.status_code == 201, task.get_data(as_text=True)
    assert hub.post("Communication", answer(ref, refs, "2027-03-01T16:30:00Z")).status_code == 201
    second = clinician.post("ServiceRequest", request_body(refs, "Second question"))
    assert second.status_code == 201
    assert clinician.ids(f"Task?based-on={ref}") == [task.json["id"]]
    figures = hub.get(f"{refs['hub']}/$consultation-turnaround").json
    values = {p["name"]: next(v for k, v in p.items() if k.startswith("value"))
              for p in figures["parameter"]}
    assert values["requested"] == 2 and values["answered"] == 1
    assert values["median-hours"] == 6.5
    period = hub.get(f"{refs['hub']}/$consultation-turnaround?periodStart=2027-04-01").json
    assert {"name": "requested", "valueInteger": 0} in period["parameter"]
    assert hub.get(f"{refs['hub']}/$consultation-turnaround?periodStart=soon").status_code == 400


def test_consultations_stay_in_their_hub_and_spoke(app: Flask, fhir: Fhir,
                                                  refs: dict[str, str]) -> None:
    asked = fhir.create(request_body(refs, "A question"))
    other_hub = fhir.create(f.hub("Hub Norte (teste)", "BR", ident="HUB-N"))
    stranger = as_role(app, "hub-admin", f"Organization/{other_hub['id']}")
    other_spoke = as_role(app, "spoke-clinician", refs["other_spoke"])
    for caller in (stranger, other_spoke, as_role(app, "global-viewer")):
        assert caller.get(f"ServiceRequest/{asked['id']}").status_code in (403, 404)
    assert as_role(app, "spoke-clinician", refs["spoke"]).get(
        f"ServiceRequest/{asked['id']}").status_code == 200


@pytest.mark.parametrize(("change", "where"), [
    ({"subject": {"reference": "Patient/p1"}}, "ServiceRequest.subject"),
    ({"priority": "whenever"}, "ServiceRequest.priority"),
    ({"code": {"text": "no topic"}}, "ServiceRequest.code"),
    ({"performer": []}, "ServiceRequest.performer"),
    ({"extension": [{"url": CHANNEL, "valueCode": "pigeon"}]}, "ServiceRequest.extension"),
])
def test_a_consultation_that_says_too_little_is_refused(fhir: Fhir, refs: dict[str, str],
                                                        change: dict[str, Any],
                                                        where: str) -> None:
    body = {**request_body(refs, "A question"), **change}
    response = fhir.post("ServiceRequest", body)
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert where in response.get_data(as_text=True)
    assert fhir.ids("ServiceRequest") == []
