"""What the adversarial review found, each kept closed (issue #35), on both databases."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from flask import Flask

from tests import factories as f
from tests.conftest import Fhir, make_token
from tests.security.conftest import Network
from tests.security.network import case_document, ref

SUBJECT_KEY = "https://telementoring.example.org/fhir/sid/subject-key"


def guessed_follow_up(network: Network, record_number: str) -> dict[str, Any]:
    """Spoke 1 presents 'a follow-up' of hub 2's case: its own spoke first in the authors,
    hub 2's presenter second, with a guessed record number for the patient."""
    document = case_document("1", fresh=True)
    composition = document["entry"][0]["resource"]
    composition["author"] = [ref("Organization/spoke-1"), ref("PractitionerRole/presenter-2")]
    composition["relatesTo"] = [{"code": "appends",
                                 "targetReference": ref(network.key("Composition/case-2"))}]
    patient = document["entry"][1]["resource"]
    patient["identifier"] = [{"system": "urn:spoke-2:mrn", "value": record_number}]
    return document


def test_a_follow_up_of_another_hubs_case_answers_the_same_for_any_guess(
        network: Network) -> None:
    spoke = network.client("spoke-clinician")
    answers = [spoke.post("Bundle", guessed_follow_up(network, guess))
               for guess in ("HC-0001", "HC-9999")]
    assert [a.status_code for a in answers] == [403, 403]  # the presenter is hub 2's
    assert answers[0].json == answers[1].json
    assert "subject_key" not in answers[0].get_data(as_text=True)


def test_a_follow_up_target_is_resolved_through_the_policy(network: Network) -> None:
    document = case_document("1", fresh=True)
    document["entry"][0]["resource"]["relatesTo"] = [
        {"code": "appends", "targetReference": ref(network.key("Composition/case-2"))}]
    hidden = network.client("spoke-clinician").post("Bundle", document)
    document["entry"][0]["resource"]["relatesTo"][0]["targetReference"] = ref(
        "Composition/no-such-case")
    missing = network.client("spoke-clinician").post("Bundle", document)
    assert hidden.status_code == missing.status_code == 422
    assert "can follow up" in hidden.get_data(as_text=True)


def test_a_case_cannot_be_presented_in_another_hubs_session(network: Network) -> None:
    document = case_document("1", fresh=True)
    document["entry"][0]["resource"]["encounter"] = ref("Encounter/sess-2")
    other = network.client("spoke-clinician").post("Bundle", document)
    document["entry"][0]["resource"]["encounter"] = ref("Encounter/no-such-session")
    missing = network.client("spoke-clinician").post("Bundle", document)
    assert other.status_code == missing.status_code == 422
    assert other.json["issue"][0]["diagnostics"].split(" is ")[1] == (
        missing.json["issue"][0]["diagnostics"].split(" is ")[1])


def test_the_client_cannot_choose_the_subject_key(network: Network) -> None:
    document = case_document("1", fresh=True)
    document["entry"][1]["resource"]["identifier"] = [
        {"system": SUBJECT_KEY, "value": "chosen-by-the-client"}]
    response = network.client("spoke-clinician").post("Bundle", document)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert "chosen-by-the-client" not in response.get_data(as_text=True)


def test_instance_validate_reads_under_the_policy_and_is_audited(network: Network) -> None:
    spoke = network.client("spoke-clinician")
    own, other = network.key("Composition/case-1"), network.key("Composition/case-2")
    assert spoke.get(f"{own}/$validate").status_code == 200
    hidden = spoke.get(f"{other}/$validate")
    missing = spoke.get("Composition/no-such-case/$validate")
    assert hidden.status_code == missing.status_code == 404
    events = network.admin.search(f"AuditEvent?entity={own}&_count=50")["entry"]
    assert any(e["resource"]["outcome"] == "0" for e in events)  # the read of case data


def test_a_hidden_response_id_and_a_free_one_answer_alike(network: Network) -> None:
    spoke = network.client("spoke-clinician")
    body = {"resourceType": "QuestionnaireResponse", "status": "completed",
            "author": ref("Organization/spoke-1")}
    hidden = spoke.put("QuestionnaireResponse/resp-2", {**body, "id": "resp-2"})
    free = spoke.put("QuestionnaireResponse/resp-free", {**body, "id": "resp-free"})
    assert hidden.status_code == free.status_code == 404
    assert hidden.json["issue"][0]["diagnostics"].replace("resp-2", "X") == (
        free.json["issue"][0]["diagnostics"].replace("resp-free", "X"))


@pytest.mark.settings(rate_limit="")
def test_failed_sign_ins_never_lock_out_a_valid_token(app: Flask) -> None:
    valid = Fhir(app.test_client(), make_token(app))
    statuses = [Fhir(app.test_client(), f"tnr_guess-{i:04d}-abcdefgh").get(
        "Organization").status_code for i in range(35)]
    assert statuses[:30] == [401] * 30 and set(statuses[30:]) == {429}
    assert valid.get("Organization").status_code == 200  # same address, good token


def test_conditional_update_without_a_match_never_overwrites_the_id_in_the_body(
        fhir: Fhir) -> None:
    existing = fhir.create(f.hub("Kept Hub", ident="KEEP"))
    body = {**f.hub("Other Hub", ident="OTHER"), "id": existing["id"]}
    response = fhir.put(f"Organization?identifier={f.ORG_ID}|NOMATCH", body)
    assert response.status_code == 409
    assert fhir.get(f"Organization/{existing['id']}").json["name"] == "Kept Hub"


def test_a_batch_entry_must_be_of_the_type_its_url_names(fhir: Fhir) -> None:
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": f.hub("H"), "request": {"method": "POST", "url": "Location"}}]}
    assert fhir.post("", bundle).status_code == 400


def test_an_estimated_total_is_never_below_what_the_pages_show(fhir: Fhir) -> None:
    for n in range(7):
        fhir.create(f.hub(f"Estimate {n}", ident=f"EST-{n}"))
    page = fhir.search("Organization?name=estimate&_count=5&_total=estimate")
    assert page["total"] >= 6  # five shown and a next page


DEEP = {"url": "http://example.org/e", "valueString": "v"}
for _ in range(200):
    DEEP = {"url": "http://example.org/e", "extension": [copy.deepcopy(DEEP)]}

BAD_INPUT: list[tuple[str, str, Any, int]] = [
    ("POST", "Organization", {"resourceType": "Nonsense", "name": "x"}, 400),
    ("POST", "Organization", {"resourceType": "Organization", "name": "a\u0000b"}, 400),
    ("GET", "Organization?_count=\u00b2", None, 400),
    ("GET", "Organization?_offset=99999999999999999999999", None, 400),
    ("GET", "Organization/x/_history/\u00b2", None, 404),
    ("GET", "Organization/x/_history/99999999999999999999999", None, 404),
    ("GET", "_history?_cursor=99999999999999999999999", None, 400),
    ("GET", "Observation?value-quantity=1e999999999", None, 400),
    ("GET", "Location?near=inf|1|1|km", None, 400),
    ("GET", "Location?near=1|1|1e308|km", None, 400),
    ("POST", "Organization", {"resourceType": "Organization", "extension": [DEEP]}, 400),
    ("POST", "Organization", {"resourceType": "Organization", "type": [{"coding": None}]}, 400),
    ("POST", "Organization", {"resourceType": "Organization", "alias": ["n"] * 20_000}, 413),
    ("POST", "", {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": {"resourceType": "Organization", "type": [{"coding": None}]},
         "request": {"method": "POST", "url": "Organization"}}]}, 400),
    ("GET", "Organization?_profile:above=" + "a/" * 3000, None, 400),
    ("GET", "Organization?name=a%00b", None, 400),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), BAD_INPUT,
                         ids=[f"{m} {p[:40]}" for m, p, _, _ in BAD_INPUT])
def test_bad_input_is_a_clear_refusal_never_a_server_error(fhir: Fhir, method: str, path: str,
                                                           body: Any, status: int) -> None:
    before = fhir.search("_history?_summary=count&_count=1")
    response = fhir.request(method, path, None if body is None else json.dumps(body))
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json["resourceType"] == "OperationOutcome"
    after = fhir.search("_history?_summary=count&_count=1")
    assert after.get("entry") == before.get("entry")  # nothing written


@pytest.mark.parametrize("if_match", ['W/"\u00b2"', 'W/"99999999999999999999999"'])
def test_a_malformed_version_precondition_is_400(fhir: Fhir, if_match: str) -> None:
    hub = fhir.create(f.hub("Precondition Hub"))
    response = fhir.put(f"Organization/{hub['id']}", hub, headers={"If-Match": if_match})
    assert response.status_code == 400
