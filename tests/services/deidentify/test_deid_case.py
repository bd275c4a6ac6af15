"""De-identification of whole case Bundles: structured fields, references, report."""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from typing import Any

import pytest
from deid_bundles import PROFILES, make_case
from fhir.resources.R4B.bundle import Bundle

from registry.services.deidentify import DeidentifiedCase, deidentify_case
from registry.services.deidentify.pseudonyms import subject_key

SECRET = b"node-secret-for-tests-0123456789"
SPOKE = "Organization/spoke-7"
PRESENTED = date(2024, 5, 6)
BASE = "https://telementoring.example.org/fhir"
OFFSET_URL = f"{BASE}/StructureDefinition/relative-to-presentation"
AGE_BAND_URL = f"{BASE}/StructureDefinition/age-band"
KEY_SYSTEM = f"{BASE}/sid/case-subject-key"


def run(bundle: dict[str, Any], **overrides: Any) -> DeidentifiedCase:
    args = {"secret": SECRET, "spoke": SPOKE, "presented_at": PRESENTED, **overrides}
    return deidentify_case(bundle, **args)


def resource(bundle: dict[str, Any], rtype: str, index: int = 0) -> dict[str, Any]:
    return [e["resource"] for e in bundle["entry"]
            if e["resource"]["resourceType"] == rtype][index]


@pytest.fixture(scope="module", params=sorted(PROFILES))
def case(request: pytest.FixtureRequest) -> tuple[dict, list[str], DeidentifiedCase]:
    bundle, planted = make_case(request.param)
    return bundle, planted, run(bundle)


def test_no_planted_value_appears_anywhere_in_the_output(case) -> None:
    _, planted, result = case
    serialized = json.dumps(result.bundle, ensure_ascii=False).casefold()
    issues = json.dumps([i.to_fhir() for i in result.issues], ensure_ascii=False).casefold()
    for value in planted:
        assert value.casefold() not in serialized, value
        assert value.casefold() not in issues, value
    digits = re.sub(r"\D", "", serialized)
    for value in planted:
        number = re.sub(r"\D", "", value)
        if len(number) >= 7 and not re.fullmatch(r"(19|20)\d{6}", number):
            assert number not in digits, value


def test_output_is_a_valid_r4b_document(case) -> None:
    _, _, result = case
    Bundle.model_validate(result.bundle)
    assert result.bundle["type"] == "document"
    assert resource(result.bundle, "Composition")["resourceType"] == "Composition"


def test_input_is_not_mutated() -> None:
    bundle, _ = make_case("br")
    before = copy.deepcopy(bundle)
    result = run(bundle)
    assert bundle == before
    result.bundle["entry"].clear()
    assert bundle == before


def test_subject_keeps_only_sex_age_band_and_region(case) -> None:
    _, _, result = case
    patient = resource(result.bundle, "Patient")
    assert set(patient) <= {"resourceType", "id", "meta", "gender", "extension", "address",
                            "communication", "identifier"}
    assert all(set(a) <= {"state", "country"} for a in patient["address"])
    assert [e["url"] for e in patient["extension"]] == [AGE_BAND_URL]


@pytest.mark.parametrize(("profile", "low", "high"), [("pe", 60, 64), ("br", 35, 39),
                                                      ("us", 90, None)])
def test_age_band_at_presentation(profile: str, low: int, high: int | None) -> None:
    result = run(make_case(profile)[0])
    band = resource(result.bundle, "Patient")["extension"][0]["valueRange"]
    assert band["low"]["value"] == low
    assert band.get("high", {}).get("value") == high


def test_subject_key_links_presentations_without_identifying() -> None:
    bundle, _ = make_case("pe")
    first = run(bundle)
    expected = subject_key(SECRET, SPOKE, "urn:local:mrn|HC-4471203")
    assert first.subject_key == expected
    assert resource(first.bundle, "Patient")["identifier"] == [
        {"system": KEY_SYSTEM, "value": expected}]
    follow_up = run(bundle, presented_at=date(2024, 9, 2))
    assert follow_up.subject_key == first.subject_key
    assert run(bundle, spoke="Organization/other").subject_key != first.subject_key
    assert run(bundle, secret=b"another-node-secret").subject_key != first.subject_key


def test_subject_key_falls_back_to_patient_id_then_external_reference() -> None:
    bundle, _ = make_case("us")
    patient = resource(bundle, "Patient")
    del patient["identifier"]
    assert run(bundle).subject_key == subject_key(SECRET, SPOKE, f"Patient/{patient['id']}")
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"] is not patient]
    result = run(bundle)
    assert result.subject_key == subject_key(SECRET, SPOKE, f"Patient/{patient['id']}")
    subject = resource(result.bundle, "Composition")["subject"]
    assert subject["identifier"] == {"system": KEY_SYSTEM, "value": result.subject_key}
    assert "reference" not in subject


def test_dates_keep_the_year_and_an_offset(case) -> None:
    _, _, result = case
    condition = resource(result.bundle, "Condition")
    assert condition["onsetDateTime"] == "2019"
    offset = condition["_onsetDateTime"]["extension"][0]
    assert offset["url"] == OFFSET_URL
    assert offset["valueDuration"] == {"value": -5, "unit": "years",
                                       "system": "http://unitsofmeasure.org", "code": "a"}
    statement = resource(result.bundle, "MedicationStatement")
    start = statement["effectivePeriod"]["_start"]["extension"][0]["valueDuration"]
    assert (start["value"], start["code"]) == (-6, "mo")
    assert resource(result.bundle, "Observation")["issued"] == "2024-01-01T00:00:00Z"
    assert result.bundle["timestamp"] == "2024-01-01T00:00:00Z"


def test_ages_over_89_are_capped(case) -> None:
    _, _, result = case
    history = resource(result.bundle, "FamilyMemberHistory")
    age = history["condition"][0]["onsetAge"]
    assert (age["value"], age["comparator"]) == (90, ">=")


def test_references_resolve_inside_the_bundle(case) -> None:
    _, _, result = case
    full_urls = {e["fullUrl"] for e in result.bundle["entry"]}
    text = json.dumps(result.bundle)
    for ref in re.findall(r'"reference": "([^"]+)"', text):
        assert ref in full_urls or ref.startswith("Practitioner/"), ref
    for entry in result.bundle["entry"]:
        assert entry["fullUrl"] == "urn:uuid:" + entry["resource"]["id"]


def test_identifiers_outside_the_subject_are_keyed_hashes(case) -> None:
    _, _, result = case
    condition = resource(result.bundle, "Condition")
    assert condition["identifier"][0]["system"] == f"{BASE}/sid/pseudonym"
    assert re.fullmatch(r"[0-9a-f]{64}", condition["identifier"][0]["value"])


def test_clinical_content_is_kept(case) -> None:
    _, _, result = case
    text = json.dumps(result.bundle, ensure_ascii=False)
    for term in ("buprenorphine 16 mg daily", "CD4 350 cells/mm3", "Opioid use disorder",
                 "44261-6", "5602001", '"valueInteger": 18'):
        assert term in text, term


def test_report_names_each_changed_element(case) -> None:
    _, _, result = case
    by_path = {i.expression[0]: i.diagnostics for i in result.issues}
    assert all(i.severity == "information" for i in result.issues)
    assert by_path["Bundle.entry[1].resource.name"] == "removed"
    assert by_path["Bundle.entry[1].resource.birthDate"] == "generalized to age band"
    assert by_path["Bundle.entry[1].resource.telecom"] == "removed"
    div = by_path["Bundle.entry[0].resource.section[0].text.div"]
    assert div.startswith("free text scrubbed: ") and "1 name" in div
    assert "e-mail address" in div


def test_deidentifying_twice_changes_nothing_more(case) -> None:
    _, _, result = case
    again = run(result.bundle)
    assert again.bundle == result.bundle
    assert again.subject_key == result.subject_key
    assert again.issues == []


def test_contained_resources_and_local_references() -> None:
    bundle, _ = make_case("us")
    statement = resource(bundle, "MedicationStatement")
    statement["contained"] = [{"resourceType": "Medication", "id": "med1",
                               "code": {"text": "methadone 80 mg"}}]
    statement["medicationReference"] = {"reference": "#med1"}
    del statement["medicationCodeableConcept"]
    result = run(bundle)
    out = resource(result.bundle, "MedicationStatement")
    assert out["medicationReference"]["reference"] == "#" + out["contained"][0]["id"]
    assert out["contained"][0]["code"]["text"] == "methadone 80 mg"
    assert run(result.bundle).bundle == result.bundle


def test_unknown_elements_are_dropped_and_reported() -> None:
    bundle, _ = make_case("pe")
    resource(bundle, "Observation")["patientName"] = "Rosa Quispe"
    result = run(bundle)
    assert "patientName" not in resource(result.bundle, "Observation")
    assert any(i.expression[0].endswith(".patientName") for i in result.issues)


def test_a_node_secret_is_required() -> None:
    with pytest.raises(ValueError):
        run(make_case("pe")[0], secret=b"")
