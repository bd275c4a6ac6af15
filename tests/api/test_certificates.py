"""Certificates of participation: the PDF, stored, in the mentee's language, verifiable by
anyone, revealing only validity, name and hours."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import Fhir, make_token
from tests.learning import participation_network


@pytest.fixture
def refs(fhir: Fhir) -> dict[str, str]:
    return participation_network(fhir)


def test_a_certificate_is_issued_stored_and_verified(app: Flask, fhir: Fhir,
                                                     refs: dict[str, str]) -> None:
    hub = Fhir(app.test_client(), make_token(app, "hub-admin", binding=refs["hub"]))
    role_id = refs["presenter"].split("/")[1]
    response = hub.post(f"PractitionerRole/{role_id}/$certificate?program={refs['program']}"
                        "&lang=pt", None, headers={"Accept": "application/pdf"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.content_type == "application/pdf" and response.data.startswith(b"%PDF")
    code = response.headers["X-Verification-Code"]
    stored = fhir.search(f"DocumentReference?identifier={code}")["entry"][0]["resource"]
    assert stored["content"][0]["attachment"]["language"] == "pt"
    checked = app.test_client().get(f"/verify/{code}")  # nobody signed in
    assert checked.status_code == 200
    assert checked.json == {"valid": True, "name": "Ana Pérez", "hours": 2.5}
    assert app.test_client().get("/verify/0000-0000-0000-0000").status_code == 404
    stored["status"] = "entered-in-error"  # revoked
    assert fhir.put(f"DocumentReference/{stored['id']}", stored).status_code == 200
    assert app.test_client().get(f"/verify/{code}").status_code == 404


def test_certificates_need_a_program_participation_and_the_hub(
        app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    tutor_id = refs["tutor"].split("/")[1]
    role_id = refs["presenter"].split("/")[1]
    assert fhir.post(f"PractitionerRole/{role_id}/$certificate", None).status_code == 400
    assert fhir.post(f"PractitionerRole/{tutor_id}/$certificate?program={refs['program']}",
                     None).status_code == 422  # the tutor's attendance has no period
    assert fhir.post(f"PractitionerRole/{role_id}/$certificate?program={refs['program']}"
                     "&lang=de", None).status_code == 400
    clinician = Fhir(app.test_client(), make_token(app, "spoke-clinician",
                                                   binding=refs["spoke"]))
    assert clinician.post(f"PractitionerRole/{role_id}/$certificate?program="
                          f"{refs['program']}", None).status_code == 403
    assert fhir.ids("DocumentReference?type=participation-certificate") == []


def test_reading_the_operation_issues_nothing(fhir: Fhir, refs: dict[str, str]) -> None:
    """Issuing stores a certificate with a new code: only POST may do that."""
    role_id = refs["presenter"].split("/")[1]
    answer = fhir.get(f"PractitionerRole/{role_id}/$certificate?program={refs['program']}")
    assert answer.status_code == 405
    assert fhir.ids("DocumentReference?type=participation-certificate") == []


def test_the_certificate_is_in_the_mentees_language(fhir: Fhir, refs: dict[str, str]) -> None:
    person = fhir.get(refs["presenter_person"]).json
    person["communication"] = [{"coding": [{"system": "urn:ietf:bcp:47", "code": "fr"}]}]
    assert fhir.put(refs["presenter_person"], person).status_code == 200
    role_id = refs["presenter"].split("/")[1]
    response = fhir.post(f"PractitionerRole/{role_id}/$certificate?program={refs['program']}",
                         None, headers={"Accept": "application/pdf"})
    assert response.status_code == 201, response.get_data(as_text=True)
    code = response.headers["X-Verification-Code"]
    stored = fhir.search(f"DocumentReference?identifier={code}")["entry"][0]["resource"]
    assert stored["content"][0]["attachment"]["language"] == "fr"
    assert stored["content"][0]["attachment"]["title"].startswith("Attestation")
