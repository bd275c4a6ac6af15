"""The rules JSON is data other people will edit: it must name real elements and methods."""

from __future__ import annotations

import copy

import pytest

from registry.services.deidentify.model import element_info, is_resource, model_class
from registry.services.deidentify.rules import METHODS, Rules, _check, load_rules


def test_every_method_named_in_the_rules_is_implemented() -> None:
    raw = load_rules().raw
    named = {*raw["elements"].values(), *raw["datatypes"].values(),
             *raw["ownerDefaults"].values(), *raw["primitives"].values(), raw["fallback"]}
    assert named <= METHODS


def test_an_unknown_method_is_rejected_at_load_time() -> None:
    raw = copy.deepcopy(load_rules().raw)
    raw["elements"]["Patient.gender"] = "shred"
    with pytest.raises(ValueError, match="shred"):
        _check(raw)


@pytest.mark.parametrize("key", sorted(load_rules().raw["elements"]))
def test_every_element_rule_names_a_real_r4b_element(key: str) -> None:
    owner, name = key.split(".", 1)
    assert element_info(owner, name) is not None, key


def test_accepted_and_refused_types_are_r4b_resources() -> None:
    raw = load_rules().raw
    for rtype in [*raw["acceptedResourceTypes"], *raw["refusedResourceTypes"]]:
        assert is_resource(rtype), rtype
    assert not set(raw["acceptedResourceTypes"]) & set(raw["refusedResourceTypes"])


def test_datatype_and_owner_rules_name_real_models() -> None:
    raw = load_rules().raw
    for name in [*raw["datatypes"], *raw["ownerDefaults"]]:
        assert model_class(name) is not None, name


def _method(owner: str, name: str) -> str:
    info = element_info(owner, name)
    assert info is not None
    return load_rules().method(owner, name, info)


@pytest.mark.parametrize(("owner", "name", "method"), [
    ("Patient", "birthDate", "generalize-age-band"),   # owner element rule
    ("Patient", "name", "remove"),                     # datatype rule (HumanName)
    ("Patient", "maritalStatus", "remove"),            # owner default: Patient keeps little
    ("Patient", "gender", "keep"),
    ("Observation", "id", "pseudonymize-id"),          # Resource.* rule
    ("Observation", "effectiveDateTime", "relative-date"),  # primitive default
    ("Observation", "valueString", "scrub"),
    ("Observation", "status", "keep"),
    ("Observation", "code", "known-concept"),          # allow-list datatype, after owners
    ("Observation", "valueQuantity", "age-quantity"),
    ("Coding", "system", "keep"),                      # once known-coding let it through
    ("Meta", "profile", "remove"),
    ("Observation", "implicitRules", "remove"),
    ("Encounter", "period", "descend"),                # complex default
    ("Condition", "identifier", "keyed-hash"),
    ("Address", "city", "remove"),
    ("Address", "state", "keep"),
    ("Attachment", "data", "refuse"),
    ("Reference", "reference", "pseudonymize-reference"),
    ("Reference", "display", "scrub"),
    ("Narrative", "div", "scrub"),
    ("Condition", "onsetAge", "generalize-age-cap"),
])
def test_resolution_order(owner: str, name: str, method: str) -> None:
    assert _method(owner, name) == method


def test_a_string_no_rule_mentions_is_scrubbed() -> None:
    raw = copy.deepcopy(load_rules().raw)
    del raw["primitives"]["string"]
    rules = Rules(raw)
    info = element_info("Observation", "valueString")
    assert info is not None
    assert rules.method("Observation", "valueString", info) == "scrub"
