"""_summary and _elements shaping, with summary flags read from the R4B models."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from registry.errors import InvalidRequest
from registry.services.shaping import elements, summary, summary_elements

SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
             "code": "SUBSETTED"}

NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}

ORGANIZATION: dict[str, Any] = {
    "resourceType": "Organization",
    "id": "org1",
    "meta": {"versionId": "2", "tag": [{"system": "urn:t", "code": "hub"}]},
    "text": NARRATIVE,
    "identifier": [{"system": "urn:npi", "value": "123"}],
    "active": True,
    "type": [{"text": "ECHO hub"}],
    "name": "Project Hub",
    "alias": ["Hub"],
    "telecom": [{"system": "phone", "value": "555"}],
    "address": [{"city": "Albuquerque"}],
    "partOf": {"reference": "Organization/parent"},
    "contact": [{"name": {"text": "Coordinator"}}],
    "endpoint": [{"reference": "Endpoint/e1"}],
}

OBSERVATION: dict[str, Any] = {
    "resourceType": "Observation",
    "id": "o1",
    "text": NARRATIVE,
    "status": "final",
    "_status": {"id": "s1"},
    "category": [{"text": "vital-signs"}],
    "code": {"text": "BP"},
    "effectiveDateTime": "2024-01-01",
    "valueQuantity": {"value": 120, "unit": "mmHg"},
    "note": [{"text": "seated"}],
    "component": [{
        "code": {"text": "systolic"},
        "valueQuantity": {"value": 120},
        "interpretation": [{"text": "high"}],
    }],
}


def has_subsetted(resource: dict[str, Any]) -> bool:
    return SUBSETTED in resource.get("meta", {}).get("tag", [])


# --- summary_elements ---------------------------------------------------------------------


def test_organization_summary_elements_follow_the_spec() -> None:
    names = summary_elements("Organization")
    assert {"identifier", "active", "type", "name", "partOf"} <= names
    assert {"id", "meta", "resourceType", "implicitRules"} <= names
    assert names.isdisjoint({"text", "alias", "telecom", "address", "contact", "endpoint",
                             "contained", "extension"})


def test_patient_summary_elements_follow_the_spec() -> None:
    names = summary_elements("Patient")
    assert {"name", "gender", "birthDate", "deceasedBoolean", "deceasedDateTime",
            "managingOrganization", "link"} <= names
    assert names.isdisjoint({"contact", "photo", "maritalStatus", "communication",
                             "multipleBirthBoolean"})


def test_summary_elements_add_mandatory_elements_that_are_not_summary() -> None:
    names = summary_elements("Provenance")
    assert {"agent", "target", "recorded"} <= names  # agent is 1..* but not isSummary
    assert "reason" not in names


def test_summary_elements_are_cached() -> None:
    assert summary_elements("Observation") is summary_elements("Observation")


@pytest.mark.parametrize("name", ["Nope", "HumanName", "PatientContact"])
def test_summary_elements_need_a_resource_type(name: str) -> None:
    with pytest.raises(InvalidRequest):
        summary_elements(name)


# --- _summary -----------------------------------------------------------------------------


def test_summary_true_keeps_only_summary_elements() -> None:
    result = summary(ORGANIZATION, "true")
    assert set(result) == {"resourceType", "id", "meta", "identifier", "active", "type",
                           "name", "partOf"}
    assert result["name"] == "Project Hub"
    assert result["meta"]["tag"] == [{"system": "urn:t", "code": "hub"}, SUBSETTED]
    assert result["meta"]["versionId"] == "2"


def test_summary_true_keeps_mandatory_and_extension_siblings_and_prunes_backbones() -> None:
    result = summary(OBSERVATION, "true")
    assert result["status"] == "final" and result["_status"] == {"id": "s1"}
    assert result["valueQuantity"] == {"value": 120, "unit": "mmHg"}
    assert "effectiveDateTime" in result
    assert "note" not in result and "category" not in result and "text" not in result
    assert result["component"] == [{"code": {"text": "systolic"}, "valueQuantity": {"value": 120}}]


def test_summary_true_keeps_summary_children_of_backbone_elements() -> None:
    patient = {"resourceType": "Patient", "id": "p",
               "link": [{"other": {"reference": "Patient/q"}, "type": "seealso"}],
               "contact": [{"name": {"text": "Mum"}}]}
    result = summary(patient, "true")
    assert result["link"] == patient["link"]
    assert "contact" not in result


def test_summary_text_keeps_text_id_meta_and_mandatory() -> None:
    result = summary(OBSERVATION, "text")
    assert set(result) == {"resourceType", "id", "meta", "text", "status", "_status", "code"}
    assert has_subsetted(result)


def test_summary_data_removes_only_the_text() -> None:
    result = summary(OBSERVATION, "data")
    expected = {k: v for k, v in OBSERVATION.items() if k != "text"}
    assert {k: v for k, v in result.items() if k != "meta"} == expected
    assert has_subsetted(result)


def test_summary_data_without_text_reduces_nothing_and_adds_no_tag() -> None:
    resource = {k: v for k, v in OBSERVATION.items() if k != "text"}
    assert summary(resource, "data") == resource


def test_summary_false_returns_an_untagged_copy() -> None:
    result = summary(ORGANIZATION, "false")
    assert result == ORGANIZATION and result is not ORGANIZATION
    assert result["meta"] is not ORGANIZATION["meta"]


def test_summary_true_without_anything_to_drop_is_not_tagged() -> None:
    resource = {"resourceType": "Organization", "id": "o", "name": "N"}
    assert summary(resource, "true") == resource


def test_subsetted_tag_is_not_duplicated() -> None:
    once = summary(ORGANIZATION, "true")
    twice = summary({**once, "telecom": [{"value": "1"}]}, "true")
    assert twice["meta"]["tag"].count(SUBSETTED) == 1


@pytest.mark.parametrize("mode", ["count", "TRUE", "", "yes"])
def test_unknown_summary_mode_is_invalid(mode: str) -> None:
    with pytest.raises(InvalidRequest):
        summary(ORGANIZATION, mode)


def test_shaping_does_not_mutate_the_input() -> None:
    resource = copy.deepcopy(OBSERVATION)
    for mode in ("true", "text", "data", "false"):
        summary(resource, mode)["meta"] = {"changed": True}
    elements(resource, ["value"])["code"]["text"] = "changed"
    assert resource == OBSERVATION


def test_unknown_resource_type_is_invalid() -> None:
    with pytest.raises(InvalidRequest):
        summary({"resourceType": "Nope", "id": "x"}, "true")
    with pytest.raises(InvalidRequest):
        elements({"id": "x"}, ["name"])


# --- _elements ----------------------------------------------------------------------------


def test_elements_keep_requested_plus_id_meta_and_resource_type() -> None:
    result = elements(ORGANIZATION, ["name", "telecom"])
    assert set(result) == {"resourceType", "id", "meta", "name", "telecom"}
    assert has_subsetted(result)


def test_elements_keep_mandatory_elements() -> None:
    result = elements(OBSERVATION, ["note"])
    assert set(result) == {"resourceType", "id", "meta", "status", "_status", "code", "note"}


def test_elements_name_a_choice_by_its_base_name() -> None:
    result = elements(OBSERVATION, ["value", "effective"])
    assert result["valueQuantity"] == {"value": 120, "unit": "mmHg"}
    assert result["effectiveDateTime"] == "2024-01-01"
    assert "component" not in result and "note" not in result


def test_elements_accept_a_concrete_choice_name() -> None:
    assert "valueQuantity" in elements(OBSERVATION, ["valueQuantity"])
    assert "valueQuantity" not in elements(OBSERVATION, ["valueString"])


def test_elements_ignore_unknown_names_and_tolerate_spacing_and_type_prefix() -> None:
    plain = elements(ORGANIZATION, ["name", "active"])
    assert elements(ORGANIZATION, [" name", "Organization.active ", "bogus", ""]) == plain
    assert "contact" not in elements(ORGANIZATION, ["Patient.contact"])


def test_elements_keep_primitive_extensions() -> None:
    patient = {"resourceType": "Patient", "id": "p", "birthDate": "1980",
               "_birthDate": {"id": "b"}, "gender": "other"}
    assert elements(patient, ["birthDate"]) == {
        "resourceType": "Patient", "id": "p", "birthDate": "1980", "_birthDate": {"id": "b"},
        "meta": {"tag": [SUBSETTED]}}


def test_elements_that_drop_nothing_add_no_tag() -> None:
    resource = {"resourceType": "Organization", "id": "o", "name": "N"}
    assert elements(resource, ["name"]) == resource


def test_no_element_names_change_nothing() -> None:
    assert elements(ORGANIZATION, []) == ORGANIZATION
    assert elements(ORGANIZATION, [" "]) == ORGANIZATION
