"""Case presentations end to end: submit -> de-identified and stored -> recommendation ->
follow-up, on both databases, with the database searched for every planted identifier."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from registry.storage.tables import metadata
from tests.casework import network
from tests.conftest import Fhir

XHTML = 'xmlns="http://www.w3.org/1999/xhtml"'
SUBJECT_KEY = "https://telementoring.example.org/fhir/sid/case-subject-key"
NAME, CPF, PHONE = "Maria Aparecida Souza", "529.982.247-25", "(21) 98765-4321"
EMAIL, STREET, BIRTH = "maria.souza@example.com", "Rua das Flores, 123", "1957-03-14"
RECORD, RELATIVE, SEEN = "PR-0098231", "Joaquim Souza Filho", "14/03/2024"
OBSERVED = "2024-03-14"
PLANTED = [NAME, "Aparecida Souza", CPF, "52998224725", PHONE, "98765-4321", EMAIL, STREET,
           BIRTH, RECORD, RELATIVE, SEEN, OBSERVED, "Jardim Botânico"]


@pytest.fixture
def refs(fhir: Fhir) -> dict[str, str]:
    """The network (the test app has a node secret of its own, never the checkout's)."""
    return network(fhir)


def form(refs: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "session": refs["session"], "presenter_role": refs["presenter"],
        "patient_reference": RECORD, "sex": "female", "birth_date": BIRTH,
        "country": "BR", "region": "RJ",
        "presenting_problem": f"{NAME}, CPF {CPF}, phone {PHONE}, e-mail {EMAIL}, lives at "
                              f"{STREET}, Jardim Botânico. Seen on {SEEN} with low mood.",
        "history": f"Alcohol use since adolescence; her brother {RELATIVE} drinks too.",
        "substance_use": "Daily alcohol, two detox admissions.",
        "medications": ["naltrexone 50 mg daily"],
        "psychosocial_context": "Lives alone, unemployed.",
        "question": "Should we add acamprosate?",
        "conditions": [{"system": "icd-10", "code": "F10.20", "display": "Alcohol dependence"},
                       {"system": "snomed", "code": "35489007"}],
        **extra}


def post_form(fhir: Fhir, body: dict[str, Any]) -> Any:
    return fhir.client.post("/cases", json=body,
                            headers={"Authorization": f"Bearer {fhir.token}"})


def document(refs: dict[str, str], **composition: Any) -> dict[str, Any]:
    """A FHIR document Bundle as a spoke's system would send it."""
    div = f"<div {XHTML}><p>{NAME} ({CPF}) called from {PHONE}.</p></div>"
    return {"resourceType": "Bundle", "type": "document", "entry": [
        {"fullUrl": "urn:uuid:0b6c6f36-1d1f-4d55-9a43-3c1f4a4e0001", "resource": {
            "resourceType": "Composition", "status": "final", "title": "Case",
            "type": {"coding": [{"system": "http://loinc.org", "code": "11488-4"}]},
            "date": "2026-11-05", "subject": {"reference": "urn:uuid:p1"},
            "author": [{"reference": refs["presenter"]}],
            "encounter": {"reference": refs["session"]},
            "section": [{"title": "Presenting problem", "text": {"status": "generated",
                                                                 "div": div}}],
            **composition}},
        {"fullUrl": "urn:uuid:p1", "resource": {
            "resourceType": "Patient", "name": [{"text": NAME}], "birthDate": BIRTH,
            "identifier": [{"system": "http://rnds.saude.gov.br/fhir/sid/cpf", "value": CPF}],
            "telecom": [{"system": "email", "value": EMAIL}]}},
        {"fullUrl": "urn:uuid:0b6c6f36-1d1f-4d55-9a43-3c1f4a4e0003", "resource": {
            "resourceType": "Observation", "status": "final", "code": {"text": "AUDIT score"},
            "subject": {"reference": "urn:uuid:p1"}, "effectiveDateTime": OBSERVED,
            "valueQuantity": {"value": 27}}}]}


def text_cells(app: Flask) -> list[str]:
    """Every value of every text column of every table (resources, history, index rows)."""
    cells: list[str] = []
    with app.extensions["registry.database"].transaction(write=False) as conn:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.Text)]
            if columns:
                for row in conn.execute(sa.select(*columns)):
                    cells.extend(str(v) for v in row if v is not None)
    return cells


def leaked(app: Flask) -> list[str]:
    cells = [c.casefold() for c in text_cells(app)]
    return [value for value in PLANTED if any(value.casefold() in c for c in cells)]


def test_scan_finds_a_planted_value_when_one_is_stored(app: Flask, fhir: Fhir) -> None:
    """The scan itself works: a directory name is found, so a leak would be too."""
    fhir.create({"resourceType": "Practitioner", "name": [{"text": NAME}]})
    assert NAME in leaked(app)


def test_form_case_is_stored_de_identified_and_searchable(app: Flask, fhir: Fhir,
                                                          refs: dict[str, str]) -> None:
    response = post_form(fhir, form(refs))
    assert response.status_code == 201, response.get_data(as_text=True)
    receipt = response.json
    assert response.headers["Location"].startswith("http://registry.test/fhir/Bundle/")
    issues = receipt["outcome"]["issue"]
    assert issues and {i["severity"] for i in issues} == {"information"}
    changed = {e for i in issues for e in i.get("expression", [])}
    assert "Bundle.entry[1].resource.identifier" in changed  # the patient's record number
    assert not any(v.casefold() in str(receipt).casefold() for v in PLANTED)
    composition = fhir.get(receipt["composition"]).json
    assert composition["encounter"] == {"reference": refs["session"]}
    assert composition["author"] == [{"reference": refs["presenter"]}]
    assert fhir.ids(f"Composition?encounter={refs['session']}") == [composition["id"]]
    assert fhir.ids(f"Composition?_tag={SUBJECT_KEY}|{receipt['subject_key']}") == [
        composition["id"]]
    assert len(fhir.ids("Condition?code=http://hl7.org/fhir/sid/icd-10|F10.20")) == 1
    assert len(fhir.ids("MedicationStatement")) == 1
    assert len(composition["section"]) == 6
    assert leaked(app) == []


def test_fhir_document_bundle_goes_through_the_same_de_identification(
        app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    response = fhir.post("Bundle", document(refs))
    assert response.status_code == 201, response.get_data(as_text=True)
    stored = response.json
    observation = fhir.search("Observation")["entry"][0]["resource"]
    assert observation["subject"]["reference"].startswith("Patient/")
    assert observation["effectiveDateTime"] == "2024"
    assert stored["entry"][1]["resource"]["identifier"][0]["system"] == SUBJECT_KEY
    assert leaked(app) == []


def test_fhir_document_bundle_reports_changes_with_prefer_operation_outcome(
        fhir: Fhir, refs: dict[str, str]) -> None:
    response = fhir.post("Bundle", document(refs), headers={"Prefer": "return=OperationOutcome"})
    assert response.status_code == 201
    issues = response.json["issue"]
    assert issues[0]["diagnostics"].startswith("Bundle/")
    changed = [i for i in issues[1:] if i["severity"] == "information"]
    assert changed and all(i.get("expression") for i in changed)
    assert any(".name" in i["expression"][0] for i in changed)


def test_bundle_receipt_endpoint_reports_changes_without_values(fhir: Fhir,
                                                                refs: dict[str, str]) -> None:
    response = fhir.client.post("/cases/bundle", json=document(refs), headers={
        "Authorization": f"Bearer {fhir.token}", "Content-Type": "application/fhir+json"})
    assert response.status_code == 201, response.get_data(as_text=True)
    outcome = response.json["outcome"]
    text = str(outcome)
    assert "free text scrubbed" in text and "Bundle.entry[1].resource.name" in text
    assert not any(v.casefold() in text.casefold() for v in PLANTED)


def test_image_is_refused_and_nothing_is_written(app: Flask, fhir: Fhir,
                                                 refs: dict[str, str]) -> None:
    before = fhir.search("Composition?_summary=count")["total"]
    bundle = document(refs)
    bundle["entry"].append({"fullUrl": "urn:uuid:0b6c6f36-1d1f-4d55-9a43-3c1f4a4e0004",
                            "resource": {"resourceType": "Media", "status": "completed",
                                         "subject": {"reference": "urn:uuid:p1"},
                                         "content": {"contentType": "image/jpeg",
                                                     "data": "/9j/4AAQSkZJRgABAQ=="}}})
    response = fhir.post("Bundle", bundle)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "cannot be de-identified" in response.get_data(as_text=True)
    assert fhir.search("Composition?_summary=count")["total"] == before
    assert fhir.search("Bundle?_summary=count")["total"] == 0
    assert leaked(app) == []


def test_a_case_needs_its_session_and_presenter(fhir: Fhir, refs: dict[str, str]) -> None:
    no_session = document(refs, encounter={"reference": "Encounter/unknown"})
    missing = fhir.post("Bundle", no_session)  # 422 like a session of another hub: no oracle
    assert missing.status_code == 422 and "is not a session" in missing.get_data(as_text=True)
    not_a_session = document(refs, encounter={"reference": refs["hub"]})
    assert fhir.post("Bundle", not_a_session).status_code == 422
    no_author = document(refs, author=[{"reference": "Practitioner/x"}])
    response = fhir.post("Bundle", no_author)
    assert response.status_code == 422
    assert "Composition.author" in response.get_data(as_text=True)


def test_case_content_outside_a_case_bundle_is_refused(fhir: Fhir,
                                                       refs: dict[str, str]) -> None:
    condition = {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
                 "code": {"text": NAME}}
    response = fhir.post("Condition", condition)
    assert response.status_code == 422
    assert "/cases" in response.get_data(as_text=True)
    observation = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                   "subject": {"reference": "Patient/p"}}
    assert fhir.post("Observation", observation).status_code == 422
    collection = {"resourceType": "Bundle", "type": "collection",
                  "entry": [{"resource": {"resourceType": "Patient", "name": [{"text": NAME}]}}]}
    assert fhir.post("Bundle", collection).status_code == 422
    composition = document(refs, subject={"reference": "Patient/p"})["entry"][0]["resource"]
    transaction = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"request": {"method": "POST", "url": "Composition"}, "resource": composition}]}
    assert fhir.post("", transaction).status_code == 422
    assert fhir.search("Condition?_summary=count")["total"] == 0


def test_a_stored_case_cannot_be_changed(fhir: Fhir, refs: dict[str, str]) -> None:
    receipt = post_form(fhir, form(refs)).json
    bundle_id = receipt["bundle"].split("/")[1]
    changed = copy.deepcopy(receipt["case"])
    assert fhir.put(f"Bundle/{bundle_id}", changed).status_code == 422
    composition = fhir.get(receipt["composition"]).json
    assert fhir.put(receipt["composition"], composition).status_code == 422
    patch = [{"op": "replace", "path": "/title", "value": NAME}]
    assert fhir.patch(receipt["composition"], patch,
                      content_type="application/json-patch+json").status_code == 422


def test_resubmitting_the_same_case_is_a_conflict(fhir: Fhir, refs: dict[str, str]) -> None:
    assert fhir.post("Bundle", document(refs)).status_code == 201
    assert fhir.post("Bundle", document(refs)).status_code == 409


def test_the_same_form_sent_twice_is_a_conflict(fhir: Fhir, refs: dict[str, str]) -> None:
    assert post_form(fhir, form(refs)).status_code == 201
    again = post_form(fhir, form(refs))
    assert again.status_code == 409 and "already submitted" in again.get_data(as_text=True)
    assert post_form(fhir, form(refs, question="And naltrexone?")).status_code == 201
    assert fhir.search("Composition?_summary=count")["total"] == 2


def test_recommendation_and_follow_up(app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    first = post_form(fhir, form(refs)).json
    recommendation = {
        "resourceType": "Communication", "status": "completed",
        "about": [{"reference": first["composition"]}],
        "encounter": {"reference": refs["session"]},
        "sender": {"reference": refs["tutor"]}, "recipient": [{"reference": refs["presenter"]}],
        "payload": [{"contentString": f"Start acamprosate; ask {NAME} to call {PHONE}."}]}
    response = fhir.post("Communication", recommendation,
                         headers={"Prefer": "return=representation"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert NAME not in response.json["payload"][0]["contentString"]
    found = fhir.search(f"Communication?about={first['composition']}")["entry"]
    assert [e["resource"]["id"] for e in found] == [response.json["id"]]
    assert fhir.ids(f"Communication?recipient={refs['presenter']}") == [response.json["id"]]

    later = post_form(fhir, form(refs, follow_up_of=first["composition"],
                                 presenting_problem="Abstinent for 4 weeks."))
    assert later.status_code == 201, later.get_data(as_text=True)
    follow_up = fhir.get(later.json["composition"]).json
    assert follow_up["relatesTo"] == [{"code": "appends",
                                       "targetReference": {"reference": first["composition"]}}]
    assert later.json["subject_key"] == first["subject_key"]
    assert not [i for i in later.json["outcome"]["issue"] if i["severity"] == "warning"]
    same_patient = fhir.ids(f"Composition?_tag={SUBJECT_KEY}|{first['subject_key']}")
    assert sorted(same_patient) == sorted([first["composition"].split("/")[1],
                                           follow_up["id"]])
    assert leaked(app) == []


def test_recommendation_must_be_about_a_case(fhir: Fhir, refs: dict[str, str]) -> None:
    response = fhir.post("Communication", {
        "resourceType": "Communication", "status": "completed",
        "encounter": {"reference": refs["session"]},
        "sender": {"reference": refs["tutor"]}, "recipient": [{"reference": refs["presenter"]}],
        "payload": [{"contentString": "ok"}]})
    assert response.status_code == 422
    assert "Communication.about" in response.get_data(as_text=True)


def test_follow_up_of_an_unknown_case_is_refused(fhir: Fhir, refs: dict[str, str]) -> None:
    response = post_form(fhir, form(refs, follow_up_of="Composition/nope"))
    assert response.status_code == 422
    assert "relatesTo" in response.get_data(as_text=True)


@pytest.mark.parametrize(("change", "field"), [
    ({"session": "Organization/1"}, "session"),
    ({"sex": "f"}, "sex"),
    ({"age": 40}, "age"),  # with birth_date too
    ({"conditions": [{"system": "loinc", "code": "1"}]}, "conditions"),
])
def test_bad_form_fields_are_400(fhir: Fhir, refs: dict[str, str], change: dict[str, Any],
                                 field: str) -> None:
    response = post_form(fhir, form(refs, **change))
    assert response.status_code == 400
    assert response.json["resourceType"] == "OperationOutcome"
    assert field in response.get_data(as_text=True)
    assert fhir.search("Bundle?_summary=count")["total"] == 0


def test_form_needs_a_token(app: Flask, refs: dict[str, str]) -> None:
    response = app.test_client().post("/cases", json=form(refs))
    assert response.status_code == 401


def test_form_is_documented_in_openapi(app: Flask) -> None:
    spec = app.test_client().get("/docs/openapi.json").json
    assert "/cases" in spec["paths"] and "CaseForm" in spec["components"]["schemas"]


def test_age_instead_of_birth_date_becomes_an_age_band(fhir: Fhir, refs: dict[str, str]) -> None:
    body = form(refs, age=46)
    del body["birth_date"]
    response = post_form(fhir, body)
    assert response.status_code == 201, response.get_data(as_text=True)
    patient = response.json["case"]["entry"][1]["resource"]
    assert "birthDate" not in patient
    band = patient["extension"][0]["valueRange"]
    assert band["low"]["value"] <= 46 <= band["high"]["value"]
