"""JSON Patch and FHIRPath Patch as pure functions over resource JSON."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from registry.errors import InvalidRequest, RegistryError, Unprocessable
from registry.services.patch import apply_fhirpath_patch, apply_json_patch

PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "id": "p1",
    "active": True,
    "identifier": [
        {"system": "urn:mrn", "value": "111"},
        {"system": "urn:ssn", "value": "222"},
    ],
    "name": [{"family": "Ng", "given": ["Ana", "Bea"], "_given": [None, {"id": "g2"}]}],
    "birthDate": "1980-02-03",
    "_birthDate": {"extension": [{"url": "urn:x", "valueString": "approx"}]},
    "telecom": [{"system": "phone", "value": "1"}, {"system": "email", "value": "a@b"}],
}

OBSERVATION: dict[str, Any] = {
    "resourceType": "Observation",
    "id": "o1",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
    "valueQuantity": {"value": 120, "unit": "mmHg"},
    "component": [
        {"code": {"coding": [{"system": "http://loinc.org", "code": "a"}]}, "valueString": "x"},
        {"code": {"coding": [{"system": "urn:other", "code": "a"}]}, "valueString": "y"},
    ],
}


def operation(kind: str, path: str, **parts: Any) -> dict[str, Any]:
    """One ``operation`` parameter; ints become valueInteger, str name a valueString."""
    listed: list[dict[str, Any]] = [
        {"name": "type", "valueCode": kind},
        {"name": "path", "valueString": path},
    ]
    for name, value in parts.items():
        if name == "value":
            listed.append({"name": "value", **value})
        elif isinstance(value, int):
            listed.append({"name": name, "valueInteger": value})
        else:
            listed.append({"name": name, "valueString": value})
    return {"name": "operation", "part": listed}


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": list(operations)}


def fhirpath(resource: dict[str, Any], *operations: dict[str, Any]) -> dict[str, Any]:
    return apply_fhirpath_patch(resource, patch(*operations))


def failure(kind: type[RegistryError], call: Any, *args: Any) -> tuple[str, tuple[str, ...]]:
    """Run ``call`` expecting ``kind``; give back (diagnostics, expression) of its issue."""
    with pytest.raises(kind) as caught:
        call(*args)
    assert type(caught.value) is kind
    issue = caught.value.issues[0]
    return issue.diagnostics, issue.expression


# --- JSON Patch -------------------------------------------------------------------------


def test_json_patch_applies_rfc6902_operations() -> None:
    result = apply_json_patch(PATIENT, [
        {"op": "replace", "path": "/active", "value": False},
        {"op": "add", "path": "/identifier/-", "value": {"system": "urn:z", "value": "3"}},
        {"op": "remove", "path": "/telecom/1"},
        {"op": "copy", "from": "/name/0/family", "path": "/name/0/text"},
        {"op": "move", "from": "/identifier/0", "path": "/identifier/2"},
        {"op": "test", "path": "/identifier/0/value", "value": "222"},
    ])
    assert result["active"] is False
    assert [i["value"] for i in result["identifier"]] == ["222", "3", "111"]
    assert result["telecom"] == [{"system": "phone", "value": "1"}]
    assert result["name"][0]["text"] == "Ng"


def test_json_patch_leaves_its_inputs_alone() -> None:
    resource, operations = copy.deepcopy(PATIENT), [
        {"op": "add", "path": "/maritalStatus", "value": {"text": "single"}},
        {"op": "replace", "path": "/maritalStatus/text", "value": "married"},
    ]
    snapshot = copy.deepcopy(operations)
    result = apply_json_patch(resource, operations)
    assert result["maritalStatus"] == {"text": "married"}
    assert resource == PATIENT
    assert operations == snapshot


def test_empty_json_patch_returns_an_equal_copy() -> None:
    result = apply_json_patch(PATIENT, [])
    assert result == PATIENT
    assert result is not PATIENT


@pytest.mark.parametrize("body", [{"op": "remove", "path": "/active"}, "[]", None, 3])
def test_json_patch_body_must_be_a_list(body: Any) -> None:
    message, _ = failure(InvalidRequest, apply_json_patch, PATIENT, body)
    assert "array of operations" in message


@pytest.mark.parametrize("bad", [
    "remove /active",
    {"op": "remove"},
    {"op": "remove", "path": 5},
    {"op": "frobnicate", "path": "/active"},
    {"path": "/active"},
    {"op": "remove", "path": "active"},
    {"op": "add", "path": "/gender"},
    {"op": "move", "path": "/gender"},
    {"op": "copy", "from": "gender", "path": "/x"},
])
def test_malformed_json_patch_operation_is_invalid_and_named(bad: Any) -> None:
    ops = [{"op": "test", "path": "/id", "value": "p1"}, bad]
    message, _ = failure(InvalidRequest, apply_json_patch, PATIENT, ops)
    assert "operation 1" in message


def test_failing_json_patch_test_is_unprocessable_without_echoing_values() -> None:
    ops = [
        {"op": "replace", "path": "/active", "value": False},
        {"op": "test", "path": "/birthDate", "value": "secret-value"},
    ]
    message, _ = failure(Unprocessable, apply_json_patch, PATIENT, ops)
    assert "operation 1" in message and "test failed" in message
    assert "secret-value" not in message and "1980" not in message


@pytest.mark.parametrize("bad", [
    {"op": "remove", "path": "/gender"},
    {"op": "replace", "path": "/gender", "value": "male"},
    {"op": "add", "path": "/contact/0/name", "value": {"text": "x"}},
    {"op": "remove", "path": "/identifier/7"},
    {"op": "move", "from": "/nope", "path": "/x"},
    {"op": "test", "path": "/nope", "value": 1},
])
def test_json_patch_path_that_does_not_exist_is_unprocessable(bad: dict[str, Any]) -> None:
    message, _ = failure(Unprocessable, apply_json_patch, PATIENT, [bad])
    assert "operation 0" in message


@pytest.mark.parametrize("bad", [
    {"op": "replace", "path": "/id", "value": "p2"},
    {"op": "remove", "path": "/id"},
    {"op": "replace", "path": "/resourceType", "value": "Group"},
    {"op": "replace", "path": "", "value": []},
])
def test_json_patch_may_not_change_identity(bad: dict[str, Any]) -> None:
    message, _ = failure(Unprocessable, apply_json_patch, PATIENT, [bad])
    assert message.startswith("JSON Patch operation 0")


# --- FHIRPath Patch: add ------------------------------------------------------------------


def test_add_appends_to_a_repeating_element() -> None:
    value = {"valueIdentifier": {"system": "urn:z", "value": "3"}}
    result = fhirpath(PATIENT, operation("add", "Patient", name="identifier", value=value))
    assert result["identifier"][-1] == {"system": "urn:z", "value": "3"}
    assert len(result["identifier"]) == 3


def test_add_creates_a_list_for_an_absent_repeating_element() -> None:
    value = {"valueReference": {"reference": "Organization/o1"}}
    result = fhirpath(PATIENT, operation("add", "Patient", name="generalPractitioner",
                                         value=value))
    assert result["generalPractitioner"] == [{"reference": "Organization/o1"}]


def test_add_sets_an_absent_single_element() -> None:
    result = fhirpath(PATIENT, operation("add", "Patient", name="gender",
                                         value={"valueCode": "female"}))
    assert result["gender"] == "female"


def test_add_to_a_set_single_element_is_refused() -> None:
    ops = (operation("add", "Patient", name="gender", value={"valueCode": "female"}),
           operation("add", "Patient", name="gender", value={"valueCode": "male"}))
    message, where = failure(Unprocessable, fhirpath, PATIENT, *ops)
    assert "already has a value" in message
    assert where == ("Parameters.parameter[1].part[2]",)


def test_add_builds_a_backbone_element_from_nested_parts() -> None:
    value = {"part": [
        {"name": "name", "part": [
            {"name": "family", "valueString": "Roe"},
            {"name": "given", "valueString": "Jo"},
            {"name": "given", "valueString": "Al", "_valueString": {"id": "g"}},
        ]},
        {"name": "telecom", "valueContactPoint": {"system": "phone", "value": "555"}},
        {"name": "gender", "valueCode": "other"},
    ]}
    result = fhirpath(PATIENT, operation("add", "Patient", name="contact", value=value))
    assert result["contact"] == [{
        "name": {"family": "Roe", "given": ["Jo", "Al"], "_given": [None, {"id": "g"}]},
        "telecom": [{"system": "phone", "value": "555"}],
        "gender": "other",
    }]
    Patient.model_validate(result)


def test_nested_parts_reject_unknown_elements_and_repeats_of_single_ones() -> None:
    unknown = {"part": [{"name": "nickname", "valueString": "x"}]}
    message, where = failure(Unprocessable, fhirpath, PATIENT,
                             operation("add", "Patient", name="contact", value=unknown))
    assert "no element 'nickname'" in message
    assert where == ("Parameters.parameter[0].part[3].part[0]",)
    twice = {"part": [{"name": "gender", "valueCode": "male"},
                      {"name": "gender", "valueCode": "other"}]}
    message, _ = failure(Unprocessable, fhirpath, PATIENT,
                         operation("add", "Patient", name="contact", value=twice))
    assert "does not repeat" in message


def test_add_chooses_the_value_x_variant_from_the_value_type() -> None:
    resource = {k: v for k, v in OBSERVATION.items() if k != "valueQuantity"}
    for name in ("value", "value[x]"):
        result = fhirpath(resource, operation("add", "Observation", name=name,
                                              value={"valueCodeableConcept": {"text": "hi"}}))
        assert result["valueCodeableConcept"] == {"text": "hi"}
        Observation.model_validate(result)


def test_add_to_a_set_choice_element_is_refused() -> None:
    message, _ = failure(Unprocessable, fhirpath, OBSERVATION,
                         operation("add", "Observation", name="value",
                                   value={"valueString": "x"}))
    assert "already has a value" in message


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("value", {"valueHumanName": {"text": "x"}}, "not an allowed type"),
    ("value", {"part": [{"name": "value", "valueDecimal": 1}]}, "needs a typed value"),
    ("colour", {"valueString": "x"}, "no element 'colour'"),
    ("note", {"valueString": "x"}, "expects a value of type Annotation"),
    ("issued", {"valuePeriod": {"start": "2020"}}, "takes a primitive value"),
])
def test_add_checks_names_and_types(name: str, value: dict[str, Any], expected: str) -> None:
    resource = {k: v for k, v in OBSERVATION.items() if k != "valueQuantity"}
    message, where = failure(Unprocessable, fhirpath, resource,
                             operation("add", "Observation", name=name, value=value))
    assert expected in message
    assert where[0].startswith("Parameters.parameter[0].part[")


def test_add_needs_a_path_to_an_object() -> None:
    message, where = failure(Unprocessable, fhirpath, PATIENT,
                             operation("add", "Patient.birthDate", name="id",
                                       value={"valueString": "x"}))
    assert "has children" in message
    assert where == ("Parameters.parameter[0].part[1]",)


# --- FHIRPath Patch: insert ---------------------------------------------------------------


@pytest.mark.parametrize(("index", "expected"), [
    (0, ["urn:z", "urn:mrn", "urn:ssn"]),
    (1, ["urn:mrn", "urn:z", "urn:ssn"]),
    (2, ["urn:mrn", "urn:ssn", "urn:z"]),
])
def test_insert_places_the_value_at_the_index(index: int, expected: list[str]) -> None:
    value = {"valueIdentifier": {"system": "urn:z", "value": "9"}}
    result = fhirpath(PATIENT, operation("insert", "Patient.identifier", value=value,
                                         index=index))
    assert [i["system"] for i in result["identifier"]] == expected


def test_insert_into_an_absent_list_at_zero() -> None:
    result = fhirpath(PATIENT, operation("insert", "Patient.name[0].prefix",
                                         value={"valueString": "Dr"}, index=0))
    assert result["name"][0]["prefix"] == ["Dr"]


def test_insert_keeps_primitive_extensions_aligned() -> None:
    result = fhirpath(PATIENT, operation("insert", "Patient.name[0].given",
                                         value={"valueString": "Cy"}, index=0))
    assert result["name"][0]["given"] == ["Cy", "Ana", "Bea"]
    assert result["name"][0]["_given"] == [None, None, {"id": "g2"}]


def test_insert_past_the_end_is_refused() -> None:
    value = {"valueIdentifier": {"value": "9"}}
    message, where = failure(Unprocessable, fhirpath, PATIENT,
                             operation("insert", "Patient.identifier", value=value, index=3))
    assert "past the end" in message
    assert where == ("Parameters.parameter[0].part[3]",)


@pytest.mark.parametrize(("path", "expected"), [
    ("Patient.birthDate", "not a repeating element"),
    ("Patient.identifier[0]", "ending in a list element"),
    ("Patient.telecom.extension", "matches 2 elements"),
    ("Patient.contact.telecom", "matches no element"),
])
def test_insert_needs_one_repeating_element(path: str, expected: str) -> None:
    message, where = failure(Unprocessable, fhirpath, PATIENT,
                             operation("insert", path, value={"valueString": "x"}, index=0))
    assert expected in message
    assert where == ("Parameters.parameter[0].part[1]",)


def test_insert_checks_the_value_type() -> None:
    message, _ = failure(Unprocessable, fhirpath, PATIENT,
                         operation("insert", "Patient.identifier",
                                   value={"valueHumanName": {"text": "x"}}, index=0))
    assert "Identifier" in message


# --- FHIRPath Patch: delete ---------------------------------------------------------------


def test_delete_a_list_item_selected_by_where() -> None:
    result = fhirpath(PATIENT, operation("delete", "Patient.identifier.where(system='urn:ssn')"))
    assert result["identifier"] == [{"system": "urn:mrn", "value": "111"}]


def test_delete_a_primitive_removes_its_extensions_too() -> None:
    result = fhirpath(PATIENT, operation("delete", "Patient.birthDate"))
    assert "birthDate" not in result and "_birthDate" not in result


def test_delete_a_primitive_list_item_keeps_alignment() -> None:
    result = fhirpath(PATIENT, operation("delete", "Patient.name[0].given[0]"))
    assert result["name"][0]["given"] == ["Bea"]
    assert result["name"][0]["_given"] == [{"id": "g2"}]


def test_delete_the_last_item_removes_the_element_and_empty_parents() -> None:
    resource = {"resourceType": "Patient", "id": "p", "name": [{"given": ["A"]}]}
    result = fhirpath(resource, operation("delete", "Patient.name.given"))
    assert result == {"resourceType": "Patient", "id": "p"}


def test_delete_of_nothing_is_a_no_op() -> None:
    result = fhirpath(PATIENT, operation("delete", "Patient.identifier.where(system='urn:no')"),
                      operation("delete", "Patient.gender"))
    assert result == PATIENT


def test_delete_of_several_elements_is_refused() -> None:
    message, where = failure(Unprocessable, fhirpath, PATIENT,
                             operation("delete", "Patient.telecom"))
    assert "2 elements" in message
    assert where == ("Parameters.parameter[0].part[1]",)


def test_delete_of_the_resource_itself_is_refused() -> None:
    message, _ = failure(Unprocessable, fhirpath, PATIENT, operation("delete", "Patient"))
    assert "resource itself" in message


# --- FHIRPath Patch: replace --------------------------------------------------------------


def test_replace_a_primitive() -> None:
    result = fhirpath(PATIENT, operation("replace", "Patient.active",
                                         value={"valueBoolean": False}))
    assert result["active"] is False


def test_replace_a_primitive_drops_the_old_extension_unless_given() -> None:
    plain = fhirpath(PATIENT, operation("replace", "Patient.birthDate",
                                        value={"valueDate": "1981-01-01"}))
    assert plain["birthDate"] == "1981-01-01" and "_birthDate" not in plain
    value = {"valueDate": "1981-01-01", "_valueDate": {"id": "d"}}
    kept = fhirpath(PATIENT, operation("replace", "Patient.birthDate", value=value))
    assert kept["_birthDate"] == {"id": "d"}


def test_replace_inside_an_item_chosen_by_and_criteria() -> None:
    path = ("Observation.component.where(code.coding.system='http://loinc.org' "
            "and code.coding.code='a').value")
    result = fhirpath(OBSERVATION, operation("replace", path, value={"valueString": "z"}))
    assert [c["valueString"] for c in result["component"]] == ["z", "y"]


def test_replace_switches_a_choice_to_another_type() -> None:
    result = fhirpath(OBSERVATION, operation("replace", "Observation.value",
                                             value={"valueString": "high"}))
    assert result["valueString"] == "high" and "valueQuantity" not in result
    Observation.model_validate(result)


def test_replace_a_complex_value_from_nested_parts() -> None:
    value = {"part": [{"name": "value", "valueDecimal": 130},
                      {"name": "unit", "valueString": "mmHg"}]}
    result = fhirpath(OBSERVATION, operation("replace", "Observation.valueQuantity",
                                             value=value))
    assert result["valueQuantity"] == {"value": 130, "unit": "mmHg"}


@pytest.mark.parametrize(("path", "expected"), [
    ("Patient.telecom.first()", ["9", "a@b"]),
    ("Patient.telecom.last()", ["1", "9"]),
    ("Patient.telecom[1]", ["1", "9"]),
    ("telecom.where(system != 'phone')", ["1", "9"]),
    ("Patient.telecom.where(system = 'email' or value = 'nope')", ["1", "9"]),
])
def test_replace_path_forms(path: str, expected: list[str]) -> None:
    value = {"valueContactPoint": {"system": "other", "value": "9"}}
    result = fhirpath(PATIENT, operation("replace", path, value=value))
    assert [t["value"] for t in result["telecom"]] == expected


def test_string_literals_unescape_and_backticks_quote_names() -> None:
    resource = {"resourceType": "Patient", "id": "p", "name": [{"family": "O'Brien"}]}
    path = r"Patient.`name`.where(family = 'O\'Brien').family"
    result = fhirpath(resource, operation("replace", path, value={"valueString": "Ng"}))
    assert result["name"] == [{"family": "Ng"}]


def test_replace_selects_primitives_with_this() -> None:
    result = fhirpath(PATIENT, operation("replace", "Patient.name.given.where($this = 'Bea')",
                                         value={"valueString": "Bee"}))
    assert result["name"][0]["given"] == ["Ana", "Bee"]


def test_where_compares_numbers_and_booleans_by_type() -> None:
    resource = {"resourceType": "Patient", "id": "p", "active": True,
                "contact": [{"gender": "male"}], "multipleBirthInteger": 1}
    kept = fhirpath(resource, operation("delete", "Patient.where(active = 1).contact"))
    assert kept == resource
    gone = fhirpath(resource, operation("delete", "Patient.where(active = true and "
                                                  "multipleBirthInteger = 1).contact"))
    assert "contact" not in gone


def test_where_accepts_a_boolean_element_as_criterion() -> None:
    resource = {"resourceType": "Patient", "id": "p", "contact": [{"gender": "male"}]}
    delete = operation("delete", "Patient.where(active).contact")
    assert "contact" not in fhirpath({**resource, "active": True}, delete)
    assert "contact" in fhirpath({**resource, "active": False}, delete)


def test_replace_inside_a_contained_resource() -> None:
    resource = {"resourceType": "Patient", "id": "p", "contained": [
        {"resourceType": "Organization", "id": "org", "name": "Old"}]}
    result = fhirpath(resource, operation("replace",
                                          "Patient.contained.where(id = 'org').name",
                                          value={"valueString": "New"}))
    assert result["contained"][0]["name"] == "New"


@pytest.mark.parametrize(("path", "value", "expected"), [
    ("Patient.gender", {"valueString": "x"}, "no element"),
    ("Patient.identifier", {"valueIdentifier": {}}, "2 elements"),
    ("Patient.identifier[0]", {"valueString": "x"}, "type Identifier"),
    ("Patient.active", {"valueCoding": {"code": "x"}}, "primitive"),
    ("Patient", {"valueString": "x"}, "resource itself"),
    ("Observation.status", {"valueCode": "final"}, "for Observation, not Patient"),
])
def test_replace_errors(path: str, value: dict[str, Any], expected: str) -> None:
    message, where = failure(Unprocessable, fhirpath, PATIENT,
                             operation("replace", path, value=value))
    assert expected in message
    assert where[0].startswith("Parameters.parameter[0]")


def test_replace_may_not_change_the_id() -> None:
    ops = (operation("replace", "Patient.active", value={"valueBoolean": False}),
           operation("replace", "Patient.id", value={"valueId": "other"}))
    message, where = failure(Unprocessable, fhirpath, PATIENT, *ops)
    assert "may not change 'id'" in message
    assert where == ("Parameters.parameter[1]",)


def test_delete_may_not_remove_the_id() -> None:
    _, where = failure(Unprocessable, fhirpath, PATIENT, operation("delete", "Patient.id"))
    assert where == ("Parameters.parameter[0]",)


# --- FHIRPath Patch: move -----------------------------------------------------------------


@pytest.mark.parametrize(("source", "destination", "expected"), [
    (0, 1, ["urn:ssn", "urn:mrn"]),
    (1, 0, ["urn:ssn", "urn:mrn"]),
    (1, 1, ["urn:mrn", "urn:ssn"]),
])
def test_move_within_a_list(source: int, destination: int, expected: list[str]) -> None:
    result = fhirpath(PATIENT, operation("move", "Patient.identifier", source=source,
                                         destination=destination))
    assert [i["system"] for i in result["identifier"]] == expected


def test_move_carries_primitive_extensions() -> None:
    result = fhirpath(PATIENT, operation("move", "Patient.name[0].given", source=1,
                                         destination=0))
    assert result["name"][0]["given"] == ["Bea", "Ana"]
    assert result["name"][0]["_given"] == [{"id": "g2"}, None]


@pytest.mark.parametrize(("source", "destination", "part"), [(2, 0, 2), (0, 2, 3)])
def test_move_index_out_of_range(source: int, destination: int, part: int) -> None:
    message, where = failure(Unprocessable, fhirpath, PATIENT,
                             operation("move", "Patient.identifier", source=source,
                                       destination=destination))
    assert "outside a list of 2" in message
    assert where == (f"Parameters.parameter[0].part[{part}]",)


# --- FHIRPath Patch: the body -------------------------------------------------------------


def test_several_operations_apply_in_order_without_touching_inputs() -> None:
    resource, parameters = copy.deepcopy(PATIENT), patch(
        operation("add", "Patient", name="identifier",
                  value={"valueIdentifier": {"system": "urn:z", "value": "3"}}),
        operation("replace", "Patient.identifier.where(system='urn:z').value",
                  value={"valueString": "4"}),
        operation("move", "Patient.identifier", source=2, destination=0),
    )
    snapshot = copy.deepcopy(parameters)
    result = apply_fhirpath_patch(resource, parameters)
    assert result["identifier"][0] == {"system": "urn:z", "value": "4"}
    assert resource == PATIENT
    assert parameters == snapshot


def test_a_failing_operation_leaves_nothing_half_done() -> None:
    resource = copy.deepcopy(PATIENT)
    failure(Unprocessable, fhirpath, resource,
            operation("replace", "Patient.active", value={"valueBoolean": False}),
            operation("replace", "Patient.gender", value={"valueCode": "male"}))
    assert resource == PATIENT


def test_empty_parameters_change_nothing() -> None:
    assert apply_fhirpath_patch(PATIENT, {"resourceType": "Parameters"}) == PATIENT


def _with_part(kind: str, *parts: dict[str, Any]) -> dict[str, Any]:
    return {"name": "operation", "part": [{"name": "type", "valueCode": kind}, *parts]}


PATH = {"name": "path", "valueString": "Patient.active"}
BOOLEAN = {"name": "value", "valueBoolean": False}


@pytest.mark.parametrize(("parameter", "where", "expected"), [
    ({"name": "op", "part": []}, "Parameters.parameter[0]", "'operation'"),
    ({"name": "operation"}, "Parameters.parameter[0]", "needs its parts"),
    ({"name": "operation", "part": [PATH]}, "Parameters.parameter[0]", "'type' part"),
    (_with_part("upsert", PATH), "Parameters.parameter[0].part[0]", "Unknown operation type"),
    (_with_part("replace", PATH), "Parameters.parameter[0]", "needs the part(s) value"),
    (_with_part("delete", PATH, BOOLEAN), "Parameters.parameter[0]", "takes no value part"),
    (_with_part("delete", PATH, PATH), "Parameters.parameter[0].part[2]", "given twice"),
    (_with_part("delete", PATH, {"name": "colour"}), "Parameters.parameter[0].part[2]",
     "Unknown"),
    (_with_part("delete", {"name": "path", "valueString": "Patient.active.exists()"}),
     "Parameters.parameter[0].part[1]", "not supported"),
    (_with_part("delete", {"name": "path", "valueString": "Patient.name[0"}),
     "Parameters.parameter[0].part[1]", "invalid FHIRPath"),
    (_with_part("delete", {"name": "path", "valueString": "Patient.name.where('x')"}),
     "Parameters.parameter[0].part[1]", "invalid FHIRPath"),
    (_with_part("delete", {"name": "path", "valueInteger": 3}),
     "Parameters.parameter[0].part[1]", "Expected a valueString"),
    (_with_part("move", {"name": "path", "valueString": "Patient.identifier"},
                {"name": "source", "valueInteger": -1},
                {"name": "destination", "valueInteger": 0}),
     "Parameters.parameter[0].part[2]", "non-negative"),
    (_with_part("insert", {"name": "path", "valueString": "Patient.identifier"},
                {"name": "index", "valueBoolean": True}, BOOLEAN),
     "Parameters.parameter[0].part[2]", "non-negative"),
    (_with_part("replace", PATH, {"name": "value"}), "Parameters.parameter[0].part[2]",
     "exactly one of"),
    (_with_part("replace", PATH, {"name": "value", "valueBoolean": True, "part": []}),
     "Parameters.parameter[0].part[2]", "exactly one of"),
    (_with_part("replace", PATH, {"name": "value", "resource": {"id": "x"}}),
     "Parameters.parameter[0].part[2]", "FHIR resource"),
    (_with_part("add", {"name": "path", "valueString": "Patient"},
                {"name": "name", "valueString": "contact"},
                {"name": "value", "part": [{"valueString": "x"}]}),
     "Parameters.parameter[0].part[3].part[0]", "with a name"),
])
def test_malformed_fhirpath_patch_is_invalid(parameter: dict[str, Any], where: str,
                                             expected: str) -> None:
    body = patch(operation("delete", "Patient.gender"), parameter)
    message, expression = failure(InvalidRequest, apply_fhirpath_patch, PATIENT, body)
    assert expected in message
    assert expression == (where.replace("parameter[0]", "parameter[1]"),)


@pytest.mark.parametrize("body", [
    {"resourceType": "Patient"},
    [{"op": "remove", "path": "/active"}],
    {"resourceType": "Parameters", "parameter": {"name": "operation"}},
])
def test_fhirpath_patch_body_must_be_parameters(body: Any) -> None:
    failure(InvalidRequest, apply_fhirpath_patch, PATIENT, body)


def test_a_resource_value_can_be_added_to_contained() -> None:
    value = {"resource": {"resourceType": "Organization", "id": "o", "name": "Clinic"}}
    result = fhirpath(PATIENT, operation("add", "Patient", name="contained", value=value))
    assert result["contained"] == [value["resource"]]
    Patient.model_validate(result)
