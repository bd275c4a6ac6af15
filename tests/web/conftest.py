"""Fixtures for the dashboard: a small two-hub network and a signed-in browser-like client."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories as f
from tests.conftest import Fhir

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def network(fhir: Fhir) -> dict[str, str]:
    """Two hubs (Peru, Spain), two Peruvian spokes with sites, a program per hub."""
    ids: dict[str, str] = {}
    ids["hub_pe"] = fhir.create(f.hub("Hub Andino", "PE"))["id"]
    ids["hub_es"] = fhir.create(f.hub("Hub Ibérico", "ES", ident="HUB-ES"))["id"]
    pe, es = f"Organization/{ids['hub_pe']}", f"Organization/{ids['hub_es']}"
    for key, (lat, lon, kind) in {"cusco": (-13.5, -72.0, "rural"),
                                  "lima": (-12.0, -77.0, "urban")}.items():
        spoke = fhir.create(f.spoke(f"Posta {key}", pe, ident=f"SPK-{key}"))["id"]
        ids[f"spoke_{key}"] = spoke
        fhir.create(f.site(key, f"Organization/{spoke}", lat, lon, settlement=kind))
        affiliation = f.affiliation(pe, f"Organization/{spoke}")
        ids["program_pe"] = ids.get("program_pe") or fhir.create(
            f.program("TUS Andino", pe))["id"]
        affiliation["healthcareService"] = [{"reference":
                                             f"HealthcareService/{ids['program_pe']}"}]
        fhir.create(affiliation)
    ids["program_es"] = fhir.create(f.program("TUS España", es, country="ES"))["id"]
    return ids


def csrf_of(client: FlaskClient, path: str = "/signin") -> str:
    page = client.get(path, headers=HTML).get_data(as_text=True)
    found = CSRF.search(page)
    assert found, page
    return found.group(1)


def sign_in(client: FlaskClient, token: str, **extra: Any) -> Any:
    return client.post("/signin", data={"csrf_token": csrf_of(client), "token": token},
                       headers=HTML, **extra)


def signed_in(app: Flask, token: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, token).status_code == 303
    return client
