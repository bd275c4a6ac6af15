"""The search expression compiler: each grammar feature on small resources, and refusal of
everything outside the grammar at compile time."""

from __future__ import annotations

from typing import Any

import pytest

from registry.services.search.expression import (
    Branch,
    PathStep,
    compile_expression,
    parse_expression,
    reference_type,
)


def run(expression: str, resource: dict[str, Any]) -> list[Any]:
    return compile_expression(expression)(resource)


ORG = {
    "resourceType": "Organization",
    "id": "hub",
    "active": True,
    "name": "Hepatitis Hub",
    "alias": ["HH", "Hep ECHO"],
    "address": [{"city": "Lima", "line": ["Av. 1", "Piso 2"]}, {"city": "Cusco"}],
    "telecom": [{"system": "phone", "value": "1"}, {"system": "email", "value": "a@b.org"}],
}

OBS = {
    "resourceType": "Observation",
    "valueQuantity": {"value": 5, "unit": "mg"},
    "effectiveDateTime": "2024-01-01",
    "effectivePeriod": {"start": "2024-01-01"},
    "status": "final",
    "statusHistory": ["not-a-choice"],
    "component": [
        {"code": {"text": "a"}, "valueString": "x"},
        {"code": {"text": "b"}, "valueCodeableConcept": {"text": "coded"}},
    ],
}


# --- paths and unions --------------------------------------------------------------------------


def test_dotted_path_flattens_arrays() -> None:
    assert run("Organization.address.city", ORG) == ["Lima", "Cusco"]
    assert run("Organization.address.line", ORG) == ["Av. 1", "Piso 2"]


def test_selects_dicts_strings_and_booleans_as_in_the_json() -> None:
    assert run("Organization.address", ORG) == ORG["address"]
    assert run("Organization.active", ORG) == [True]


def test_missing_elements_select_nothing() -> None:
    assert run("Organization.partOf", ORG) == []
    assert run("Organization.address.district", ORG) == []


def test_union_concatenates_branches_in_order() -> None:
    assert run("Organization.name | Organization.alias", ORG) == ["Hepatitis Hub", "HH", "Hep ECHO"]


def test_union_keeps_a_node_selected_twice_once() -> None:
    assert run("Organization.address | Organization.address", ORG) == ORG["address"]


def test_branch_for_another_type_yields_nothing() -> None:
    extract = compile_expression("Practitioner.name | Organization.name")
    assert extract(ORG) == ["Hepatitis Hub"]
    assert extract({"resourceType": "Location", "name": "x"}) == []


@pytest.mark.parametrize("root", ["Resource", "DomainResource"])
def test_resource_root_matches_any_type(root: str) -> None:
    assert run(f"{root}.id", ORG) == ["hub"]
    assert run(f"{root}.id", {"resourceType": "Location", "id": "l1"}) == ["l1"]


def test_parenthesised_branches() -> None:
    assert run("(Organization.name) | (Organization.alias)", ORG) == ["Hepatitis Hub", "HH",
                                                                     "Hep ECHO"]


# --- choice elements ---------------------------------------------------------------------------


@pytest.mark.parametrize("expression", [
    "Observation.value as Quantity",
    "(Observation.value as Quantity)",
    "Observation.value.ofType(Quantity)",
    "Observation.value.as(Quantity)",
])
def test_typed_choice_selects_the_typed_key(expression: str) -> None:
    assert run(expression, OBS) == [{"value": 5, "unit": "mg"}]


def test_primitive_choice_type_is_capitalised() -> None:
    assert run("Observation.effective as dateTime", OBS) == ["2024-01-01"]
    assert run("(Observation.component.value as string)", OBS) == ["x"]


def test_bare_choice_selects_every_type_present() -> None:
    assert run("Observation.effective", OBS) == ["2024-01-01", {"start": "2024-01-01"}]
    assert run("Observation.component.value", OBS) == ["x", {"text": "coded"}]


def test_bare_name_does_not_match_non_choice_siblings() -> None:
    observation = {"resourceType": "Observation", "statusHistory": ["x"], "partOf": []}
    assert run("Observation.status", observation) == []
    assert run("Observation.part", observation) == []


def test_path_continues_after_a_cast() -> None:
    assert run("Observation.component.value.ofType(CodeableConcept).text", OBS) == ["coded"]
    assert run("(Observation.component.value as CodeableConcept).text", OBS) == ["coded"]


# --- where, extension, first -------------------------------------------------------------------

ENCOUNTER = {
    "resourceType": "Encounter",
    "subject": {"reference": "http://node.example.org/fhir/Patient/p1"},
    "participant": [
        {"individual": {"reference": "Practitioner/1"}},
        {"individual": {"reference": "PractitionerRole/2"}},
        {"individual": {"reference": "Practitioner/3/_history/2"}},
        {"individual": {"display": "no reference"}},
        {"individual": {"reference": "#contained"}},
    ],
}


def test_where_resolve_keeps_references_to_the_type() -> None:
    found = run("Encounter.participant.individual.where(resolve() is Practitioner)", ENCOUNTER)
    assert found == [{"reference": "Practitioner/1"}, {"reference": "Practitioner/3/_history/2"}]


def test_where_resolve_reads_absolute_references() -> None:
    expression = "Encounter.subject.where(resolve() is Patient)"
    assert run(expression, ENCOUNTER) == [ENCOUNTER["subject"]]
    assert run("Encounter.subject.where(resolve() is Group)", ENCOUNTER) == []


@pytest.mark.parametrize(("reference", "expected"), [
    ("Patient/1", "Patient"),
    ("https://x.org/fhir/Patient/1", "Patient"),
    ("Patient/1/_history/3", "Patient"),
    ("urn:uuid:8a1f", None),
    ("#c1", None),
    ("1", None),
])
def test_reference_type(reference: str, expected: str | None) -> None:
    assert reference_type({"reference": reference}) == expected


@pytest.mark.parametrize("expression", [
    "Organization.telecom.where(system = 'email')",
    "Organization.telecom.where(system='email')",
])
def test_where_field_equals_literal(expression: str) -> None:
    assert run(expression, ORG) == [{"system": "email", "value": "a@b.org"}]
    assert run(expression.replace("email", "fax"), ORG) == []


def test_where_field_then_path() -> None:
    assert run("Organization.telecom.where(system='phone').value", ORG) == ["1"]


PROGRAM = {
    "resourceType": "HealthcareService",
    "extension": [
        {"url": "http://echo.example.org/cohort", "valueCoding": {"code": "c7"}},
        {"url": "http://echo.example.org/other", "valueString": "no"},
        {"url": "http://echo.example.org/cohort", "valueCoding": {"code": "c8"}},
    ],
}


def test_extension_by_url_then_value() -> None:
    cohort = "HealthcareService.extension('http://echo.example.org/cohort')"
    assert run(f"{cohort}.valueCoding.code", PROGRAM) == ["c7", "c8"]
    assert run(f"{cohort}.value", PROGRAM) == [{"code": "c7"}, {"code": "c8"}]
    assert run("HealthcareService.extension('http://x/none').value", PROGRAM) == []


def test_first_keeps_the_first_node() -> None:
    assert run("Organization.address.first().city", ORG) == ["Lima"]
    assert run("Organization.alias.first()", ORG) == ["HH"]
    assert run("Organization.endpoint.first()", ORG) == []


# --- parse tree ------------------------------------------------------------------------------


def test_parse_tree_folds_casts_into_the_json_key() -> None:
    assert parse_expression("(Observation.value as Quantity) | Observation.code.first()") == [
        Branch("Observation", (PathStep("element", "valueQuantity"),)),
        Branch("Observation", (PathStep("element", "code"), PathStep("first"))),
    ]


def test_parse_tree_of_filters() -> None:
    [branch] = parse_expression("Encounter.subject.where(resolve() is Patient).where(a='b')")
    assert branch.steps[1:] == (PathStep("resolve", "Patient"), PathStep("equals", "a", "b"))


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("expression", [
    "",
    "   ",
    "Organization.",
    "Organization..name",
    "organization.name",
    "Organization.name.exists()",
    "Organization.name.where(use = 'official' and period.exists())",
    "Organization.telecom.where(rank > 1)",
    "Organization.telecom.where(system = email)",
    "Organization.telecom.where(system.value = 'x')",
    "Organization.name.where(resolve() is patient)",
    "Organization.name.where(resolve() as Patient)",
    "Organization.extension(url)",
    "Organization.first(1)",
    "Organization.first().ofType(Quantity)",
    "Observation.value as",
    "Observation.value is Quantity",
    "(Organization.name",
    "Organization.name)",
    "Organization.name |",
    "| Organization.name",
    "Organization.name or Organization.alias",
    "Organization.name[0]",
    "Organization.name + 'x'",
    "Organization.name.where(x='unterminated)",
    "%resource.name",
])
def test_unsupported_syntax_is_refused_at_compile_time(expression: str) -> None:
    with pytest.raises(ValueError, match="unsupported search expression"):
        compile_expression(expression)


def test_error_names_the_expression_and_the_problem() -> None:
    with pytest.raises(ValueError, match=r"'Organization\.name\.exists\(\)'.*exists\(\)"):
        compile_expression("Organization.name.exists()")
