"""``registry deid scan``: stored case content read again with today's rules."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.api.test_cases import form, post_form
from tests.casework import network, session
from tests.conftest import Fhir

# Written for this test; in no corpus, lexicon or rule file.
VISITOR, VISITED = "Quillon Abernathy", "14 March 2026"


@pytest.fixture
def refs(fhir: Fhir) -> dict[str, str]:
    return network(fhir)


def invoke(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["deid", "scan", *args])


def test_stored_cases_scan_clean(app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    assert post_form(fhir, form(refs)).status_code == 201
    result = invoke(app)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "0 with residual identifiers" in result.stdout
    assert "resources scanned" in result.stdout and not result.stdout.startswith("0 ")


def test_residual_identifiers_are_named_by_resource_and_kind_never_value(
        app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    text = f"Home visit with Mr. {VISITOR} on {VISITED}"
    visit = fhir.create(session(refs["program"], refs["tutor"], type=[{"text": text}]))
    result = invoke(app, "--type", "Encounter")
    assert result.exit_code == 1
    assert f"Encounter/{visit['id']}: residual identifiers (date 1, name 1)" in result.stderr
    assert "1 with residual identifiers" in result.stdout
    for value in (VISITOR, "Abernathy", VISITED, "March"):
        assert value not in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
