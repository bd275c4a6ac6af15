"""Structure checked before the writer lock: once, with the same errors as before."""

from __future__ import annotations

from typing import Any

import pytest

from registry.services import validation
from registry.services.validation import ValidResource, prevalidate_entries, prevalidated

ORG = {"resourceType": "Organization", "name": "Hub"}
BROKEN = {"resourceType": "Organization", "name": ["not a string"]}


def test_a_valid_body_becomes_a_valid_resource_and_an_invalid_one_is_left_alone() -> None:
    valid = prevalidated(dict(ORG))
    assert isinstance(valid, ValidResource) and valid == ORG
    broken = prevalidated(dict(BROKEN))
    assert type(broken) is dict  # the write path checks it again and reports why
    assert prevalidated("not an object") == "not an object"


def test_bundle_entries_are_prevalidated_unless_the_bundle_is_over_the_limit() -> None:
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": dict(ORG)}, {"resource": dict(BROKEN)}, {"request": {}}]}
    prevalidate_entries(bundle, max_entries=3)
    assert [type(e.get("resource")) for e in bundle["entry"]] == [ValidResource, dict,
                                                                   type(None)]
    large = {"resourceType": "Bundle", "entry": [{"resource": dict(ORG)}] * 4}
    prevalidate_entries(large, max_entries=3)
    assert type(large["entry"][0]["resource"]) is dict


def test_the_write_path_checks_a_plain_body_but_not_a_valid_resource(
        fhir: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = validation.check_structure

    def counting(body: Any) -> None:
        calls.append(body.get("resourceType"))
        real(body)

    monkeypatch.setattr(validation, "check_structure", counting)
    monkeypatch.setattr("registry.services.writes.prepare.check_structure", counting)
    assert fhir.post("Organization", ORG).status_code == 201
    assert calls == ["Organization"]  # checked once, before the lock
    response = fhir.post("Organization", BROKEN)
    assert response.status_code == 400 and response.json["issue"][0]["expression"] == [
        "Organization.name"]
    assert calls == ["Organization"] * 3  # an invalid body: before, then again to report it
