"""Loading profiles refuses StructureDefinitions that ask for more than the engine enforces,
so no shipped profile can promise a rule that is silently skipped."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from registry.services.profiles import ProfileDefinitionError, catalog
from registry.services.profiles.definitions import ProfileCatalog, compile_profile

SD = "https://telementoring.example.org/fhir/StructureDefinition"
VS = "https://telementoring.example.org/fhir/ValueSet"


def _sd(*elements: dict[str, Any], base: str = "http://hl7.org/fhir/StructureDefinition/Location",
        ) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": f"{SD}/test", "name": "Test",
            "type": "Location", "derivation": "constraint", "baseDefinition": base,
            "differential": {"element": list(elements)}}


def test_supported_elements_compile_to_rules() -> None:
    profile = compile_profile(_sd(
        {"id": "Location", "path": "Location", "short": "documentation only"},
        {"id": "Location.name", "path": "Location.name", "min": 1, "max": "1"},
        {"id": "Location.address.country", "path": "Location.address.country",
         "binding": {"strength": "required", "valueSet": f"{VS}/country"}},
        {"id": "Location.mode", "path": "Location.mode", "fixedCode": "instance"},
        {"id": "Location.extension", "path": "Location.extension",
         "slicing": {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}},
        {"id": "Location.extension:s", "path": "Location.extension", "sliceName": "s", "min": 1,
         "type": [{"code": "Extension", "profile": [f"{SD}/settlement"]}]}))
    rules = {r.element: r for r in profile.rules if not r.extension_url}
    assert rules["name"].min == 1 and rules["name"].max == 1
    assert rules["address.country"].value_set == f"{VS}/country"
    assert rules["mode"].fixed == ("instance",)
    slices = [r for r in profile.rules if r.extension_url]
    assert [(s.extension_url, s.min, s.max) for s in slices] == [(f"{SD}/settlement", 1, None)]
    assert profile.base is None


@pytest.mark.parametrize(("element", "why"), [
    ({"id": "Location.name", "path": "Location.name", "constraint": [{"key": "x-1"}]},
     "unsupported keys"),
    ({"id": "Location.type", "path": "Location.type",
      "binding": {"strength": "extensible", "valueSet": f"{VS}/settlement"}}, "required"),
    ({"id": "Location.type", "path": "Location.type",
      "binding": {"strength": "required", "valueSet": f"{VS}/unknown"}}, "not known"),
    ({"id": "Location.identifier", "path": "Location.identifier",
      "slicing": {"discriminator": [{"type": "pattern", "path": "system"}], "rules": "open"}},
     "extension slicing"),
    ({"id": "Location.extension:s", "path": "Location.extension", "sliceName": "s",
      "type": [{"code": "Extension"}]}, "exactly one profile"),
    ({"id": "Location.extension:s.value[x]", "path": "Location.extension.value[x]", "min": 1},
     "inside a slice"),
    ({"id": "Organization.name", "path": "Organization.name", "min": 1}, "profiled type"),
    ({"id": "Location.partOf", "path": "Location.partOf",
      "type": [{"code": "Reference", "aggregation": ["bundled"]}]}, "type may only"),
])
def test_unsupported_features_are_refused(element: dict[str, Any], why: str) -> None:
    with pytest.raises(ProfileDefinitionError, match=why):
        compile_profile(_sd(element))


def test_a_specialisation_is_refused() -> None:
    sd = _sd()
    sd["derivation"] = "specialization"
    with pytest.raises(ProfileDefinitionError, match="constraint"):
        compile_profile(sd)


def _catalog_with(sd: dict[str, Any]) -> ProfileCatalog:
    shipped = catalog()
    profiles = {**shipped.profiles, sd["url"]: compile_profile(sd)}
    return ProfileCatalog(profiles, shipped.resources, shipped.selection)


def test_references_to_unknown_profiles_are_refused() -> None:
    from registry.services.profiles.definitions import _check_references

    unknown_target = _sd({"id": "Location.partOf", "path": "Location.partOf",
                          "type": [{"code": "Reference", "targetProfile": [f"{SD}/nope"]}]})
    with pytest.raises(ProfileDefinitionError, match="unknown profile"):
        _check_references(_catalog_with(unknown_target))
    wrong_base = _sd(base=f"{SD}/hub-organization")
    with pytest.raises(ProfileDefinitionError, match="is not a Location"):
        _check_references(_catalog_with(wrong_base))
    _check_references(_catalog_with(_sd(base=f"{SD}/spoke-site-location")))


def test_catalog_lineage_puts_the_base_first() -> None:
    chain = catalog().lineage(f"{SD}/spoke-organization")
    assert [p.url for p in chain] == [f"{SD}/network-organization", f"{SD}/spoke-organization"]
    assert catalog().type_of("http://hl7.org/fhir/StructureDefinition/Practitioner") == (
        "Practitioner")
    assert catalog().type_of(f"{SD}/unknown") is None


def test_shipped_catalog_is_not_mutated_by_callers() -> None:
    from registry.services.profiles import structure_definitions

    copies = structure_definitions()
    before = copy.deepcopy(catalog().resources[0])
    copies[0]["url"] = "changed"
    assert catalog().resources[0] == before
