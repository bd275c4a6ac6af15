"""The SearchParameter definitions under schemas/searchparameters are valid, and every
element path they name exists in the R4B models, so a typo in the data fails here rather
than silently indexing nothing."""

from __future__ import annotations

import json
import typing
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.searchparameter import SearchParameter
from pydantic import BaseModel

from registry.services.search.expression import (
    ANY_RESOURCE,
    Branch,
    compile_expression,
    parse_expression,
)

DATA_DIR = Path(__file__).resolve().parents[2] / "schemas" / "searchparameters"
OFFICIAL = "http://hl7.org/fhir/SearchParameter/"
PARAM_TYPES = {"string", "token", "reference", "date", "number", "quantity", "uri", "special",
               "composite"}


def _bundles() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(DATA_DIR.glob("*.json"))}


BUNDLES = _bundles()
ENTRIES = [(stem, e["resource"]) for stem, b in BUNDLES.items() for e in b.get("entry", [])]
ENTRY_IDS = [r.get("id", f"{stem}-?") for stem, r in ENTRIES]


def _official(stem: str) -> bool:
    """Files named after a resource type hold the spec's parameters for that type."""
    return stem[:1].isupper()


# --- walking the R4B models ------------------------------------------------------------------

Model = type[BaseModel] | None  # None: a primitive, which has no child elements


def _elements(model: type[BaseModel]) -> dict[str, Any]:
    """JSON element name -> pydantic field, for the FHIR elements of ``model``."""
    return {field.alias or name: field for name, field in model.model_fields.items()
            if (field.json_schema_extra or {}).get("element_property")}


def _model_of(annotation: Any) -> Model:
    """The model class behind a field annotation such as ``list[abc.CodingType] | None``."""
    if isinstance(annotation, type) and hasattr(annotation, "get_model_klass"):
        return annotation.get_model_klass()
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _children(model: Model, name: str) -> list[tuple[Model, dict[str, Any]]]:
    """Models (and field metadata) reached by element ``name``, a bare choice giving several."""
    if model is None:
        return []
    fields = _elements(model)
    if name in fields:
        chosen = [fields[name]]
    else:
        chosen = [f for f in fields.values()
                  if (f.json_schema_extra or {}).get("one_of_many") == name]
    return [(_model_of(f.annotation), f.json_schema_extra or {}) for f in chosen]


def _walk(base: str, branch: Branch) -> tuple[list[Model], set[str]]:
    """Follow ``branch`` through the models; return the end models and allowed reference types."""
    root = branch.root if branch.root not in ANY_RESOURCE else base
    current: list[Model] = [get_fhir_model_class(root)]
    targets: set[str] = set()
    for step in branch.steps:
        current, targets = _apply(step.kind, step.name, current, targets, branch)
    return current, targets


def _apply(kind: str, name: str, current: list[Model], targets: set[str],
           branch: Branch) -> tuple[list[Model], set[str]]:
    where = f"{branch.root}...{name or kind}"
    if kind == "element":
        reached = [child for model in current for child in _children(model, name)]
        assert reached, f"no element {name!r} at {where}"
        refs = {t for _, meta in reached for t in meta.get("enum_reference_types", ())}
        return [m for m, _ in reached], refs
    if kind == "extension":
        assert any(m is not None and "extension" in _elements(m) for m in current), where
        return [get_fhir_model_class("Extension")], set()
    if kind == "equals":
        assert any(m is not None and name in _elements(m) for m in current), where
    if kind == "resolve":
        assert any(m is not None and m.__name__ == "Reference" for m in current), where
    return current, targets


# --- the checks ------------------------------------------------------------------------------


@pytest.mark.parametrize("stem", sorted(BUNDLES))
def test_file_is_a_collection_bundle_of_search_parameters(stem: str) -> None:
    bundle = BUNDLES[stem]
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    assert bundle["entry"], f"{stem}.json has no entries"
    for entry in bundle["entry"]:
        assert entry["resource"]["resourceType"] == "SearchParameter"
        assert entry.get("fullUrl") == entry["resource"]["url"]


def test_every_required_resource_type_has_a_file() -> None:
    required = {
        "Organization", "Location", "OrganizationAffiliation", "Practitioner", "PractitionerRole",
        "HealthcareService", "Endpoint", "Group", "PlanDefinition", "CarePlan", "Encounter",
        "Composition", "Bundle", "Communication", "Questionnaire", "QuestionnaireResponse",
        "Measure", "MeasureReport", "Provenance", "AuditEvent", "Condition", "Observation",
        "MedicationStatement", "ValueSet", "CodeSystem", "StructureDefinition", "Resource",
    }
    assert required <= set(BUNDLES)


def test_common_parameters_are_declared_on_resource() -> None:
    common = {r["code"]: r for stem, r in ENTRIES if r["base"] == ["Resource"]}
    assert {"_id", "_lastUpdated", "_tag", "_profile", "_security", "_source"} <= set(common)
    assert common["_lastUpdated"]["expression"] == "Resource.meta.lastUpdated"


@pytest.mark.parametrize(("stem", "resource"), ENTRIES, ids=ENTRY_IDS)
def test_entry_validates_as_r4b_search_parameter(stem: str, resource: dict[str, Any]) -> None:
    parsed = SearchParameter.model_validate(resource)
    assert parsed.status == "active"
    assert parsed.type in PARAM_TYPES
    assert parsed.description.strip()


@pytest.mark.parametrize(("stem", "resource"), ENTRIES, ids=ENTRY_IDS)
def test_official_entry_is_named_after_its_base_and_code(stem: str,
                                                         resource: dict[str, Any]) -> None:
    if not _official(stem):
        pytest.skip("not a file of the specification's parameters")
    assert resource["base"] == [stem]
    assert resource["url"] == f"{OFFICIAL}{stem}-{resource['code'].lstrip('_')}"


def test_codes_are_unique_per_base_and_do_not_shadow_common_ones() -> None:
    pairs = Counter((base, r["code"]) for _, r in ENTRIES for base in r["base"])
    assert [pair for pair, count in pairs.items() if count > 1] == []
    common = {code for base, code in pairs if base in ANY_RESOURCE}
    assert [(b, c) for b, c in pairs if b not in ANY_RESOURCE and c in common] == []


def test_urls_are_unique() -> None:
    urls = Counter(r["url"] for _, r in ENTRIES)
    assert [url for url, count in urls.items() if count > 1] == []


@pytest.mark.parametrize(("stem", "resource"), ENTRIES, ids=ENTRY_IDS)
def test_expression_compiles_and_names_existing_elements(stem: str,
                                                         resource: dict[str, Any]) -> None:
    if resource["type"] == "composite":
        pytest.skip("composite parameters have no single expression path")
    compile_expression(resource["expression"])
    for branch in parse_expression(resource["expression"]):
        for base in resource["base"]:
            assert branch.root in (base, *ANY_RESOURCE), f"{branch.root} is not {base}"
            _walk(base, branch)


@pytest.mark.parametrize(("stem", "resource"), ENTRIES, ids=ENTRY_IDS)
def test_reference_targets_are_types_the_elements_allow(stem: str,
                                                        resource: dict[str, Any]) -> None:
    targets = set(resource.get("target", ()))
    if resource["type"] != "reference":
        assert not targets, "only reference parameters have targets"
        return
    for target in targets:
        assert get_fhir_model_class(target).get_resource_type() == target
    for branch in parse_expression(resource["expression"]):
        _, allowed = _walk(resource["base"][0], branch)
        if allowed and "Resource" not in allowed:
            assert targets <= allowed, f"{sorted(targets - allowed)} not allowed by the element"


def test_walker_rejects_a_misspelt_element() -> None:
    """Guard the guard: the model walk must fail on a typo, or the data checks prove nothing."""
    with pytest.raises(AssertionError):
        _walk("Organization", parse_expression("Organization.adress.city")[0])
    with pytest.raises(AssertionError):
        _walk("Observation", parse_expression("Observation.value.ofType(Money)")[0])
    with pytest.raises(AssertionError):
        _walk("Organization", parse_expression("Organization.name.where(resolve() is X)")[0])


# --- extraction from realistic resources -----------------------------------------------------

PARAMS = {(r["base"][0], r["code"]): r for _, r in ENTRIES}


def _extract(base: str, code: str, resource: dict[str, Any]) -> list[Any]:
    return compile_expression(PARAMS[(base, code)]["expression"])(resource)


HUB = {
    "resourceType": "Organization",
    "id": "hub-1",
    "meta": {"lastUpdated": "2024-03-01T10:00:00Z", "tag": [{"code": "hub"}]},
    "name": "Liver Disease Telementoring Hub",
    "alias": ["LDTH", "Hepatitis ECHO"],
    "address": [{"city": "Kampala", "country": "UG"}],
    "partOf": {"reference": "Organization/moh"},
}

ENCOUNTER = {
    "resourceType": "Encounter",
    "status": "finished",
    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR"},
    "subject": {"reference": "https://node.example.org/fhir/Patient/p1"},
    "participant": [
        {"individual": {"reference": "Practitioner/dr-a"}},
        {"individual": {"reference": "PractitionerRole/role-b"}},
    ],
    "period": {"start": "2024-03-01T14:00:00Z", "end": "2024-03-01T15:30:00Z"},
}

OBSERVATION = {
    "resourceType": "Observation",
    "status": "final",
    "code": {"text": "knowledge score"},
    "effectiveDateTime": "2024-03-01",
    "valueQuantity": {"value": 82, "unit": "%"},
    "component": [
        {"code": {"text": "pre"}, "valueQuantity": {"value": 61}},
        {"code": {"text": "confidence"}, "valueCodeableConcept": {"text": "high"}},
    ],
}


def test_organization_name_covers_aliases_and_common_meta() -> None:
    assert _extract("Organization", "name", HUB) == [
        "Liver Disease Telementoring Hub", "LDTH", "Hepatitis ECHO"]
    assert _extract("Organization", "address-city", HUB) == ["Kampala"]
    assert _extract("Organization", "partof", HUB) == [{"reference": "Organization/moh"}]
    assert _extract("Resource", "_lastUpdated", HUB) == ["2024-03-01T10:00:00Z"]
    assert _extract("Resource", "_tag", HUB) == [{"code": "hub"}]


def test_encounter_patient_and_practitioner_filter_by_reference_type() -> None:
    assert _extract("Encounter", "patient", ENCOUNTER) == [ENCOUNTER["subject"]]
    assert _extract("Encounter", "practitioner", ENCOUNTER) == [
        {"reference": "Practitioner/dr-a"}]
    assert len(_extract("Encounter", "participant", ENCOUNTER)) == 2
    assert _extract("Encounter", "class", ENCOUNTER) == [ENCOUNTER["class"]]


def test_observation_choice_parameters() -> None:
    assert _extract("Observation", "date", OBSERVATION) == ["2024-03-01"]
    assert _extract("Observation", "value-quantity", OBSERVATION) == [{"value": 82, "unit": "%"}]
    assert _extract("Observation", "combo-value-quantity", OBSERVATION) == [
        {"value": 82, "unit": "%"}, {"value": 61}]
    assert _extract("Observation", "component-value-concept", OBSERVATION) == [{"text": "high"}]
    assert _extract("Observation", "value-string", OBSERVATION) == []
    assert _extract("Observation", "patient", OBSERVATION) == []


def test_practitioner_email_keeps_only_email_contacts() -> None:
    practitioner = {
        "resourceType": "Practitioner",
        "telecom": [{"system": "phone", "value": "+256 1"},
                    {"system": "email", "value": "a@hub.example.org"}],
        "name": [{"family": "Okello", "given": ["Ruth", "A."]}],
    }
    assert _extract("Practitioner", "email", practitioner) == [
        {"system": "email", "value": "a@hub.example.org"}]
    assert _extract("Practitioner", "given", practitioner) == ["Ruth", "A."]


def test_location_near_selects_the_position() -> None:
    location = {"resourceType": "Location", "position": {"latitude": 0.31, "longitude": 32.58}}
    assert _extract("Location", "near", location) == [location["position"]]


def test_bundle_composition_is_the_first_entry() -> None:
    document = {"resourceType": "Bundle", "type": "document", "entry": [
        {"resource": {"resourceType": "Composition", "id": "c1"}},
        {"resource": {"resourceType": "Observation", "id": "o1"}},
    ]}
    assert _extract("Bundle", "composition", document) == [
        {"resourceType": "Composition", "id": "c1"}]


def test_condition_onset_date_takes_datetime_or_period() -> None:
    condition = {"resourceType": "Condition", "onsetPeriod": {"start": "2023-01-01"}}
    assert _extract("Condition", "onset-date", condition) == [{"start": "2023-01-01"}]
    assert _extract("Condition", "onset-age", condition) == []


def test_parameters_of_one_type_select_nothing_from_another() -> None:
    assert _extract("Encounter", "status", OBSERVATION) == []
