"""Every route that writes audits its refusals: the same trail whatever the way in."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories as f
from tests.conftest import Fhir, make_token

ORG = f.hub("Refusal Hub")
BUNDLE = {"resourceType": "Bundle", "type": "transaction", "entry": [
    {"resource": ORG, "request": {"method": "POST", "url": "Organization"}}]}
DOCUMENT = {"resourceType": "Bundle", "type": "document", "entry": [
    {"resource": {"resourceType": "Composition", "status": "final", "type": {"text": "case"},
                  "date": "2026-11-05", "title": "case", "author": [
                      {"reference": "PractitionerRole/nobody"}]}}]}
FORM = {"session": "Encounter/nowhere", "presenter_role": "PractitionerRole/nobody",
        "patient_reference": "X-1", "sex": "female", "age": 40, "country": "PE",
        "presenting_problem": "Alcohol use.", "question": "What next?"}

# (method, path, body, content type); {org} is an existing Organization's id.
WRITES: list[tuple[str, str, Any, str]] = [
    ("POST", "/fhir/Organization", ORG, "application/fhir+json"),
    ("PUT", "/fhir/Organization/{org}", {**ORG, "id": "{org}"}, "application/fhir+json"),
    ("PUT", "/fhir/Organization?name=Refusal", ORG, "application/fhir+json"),
    ("PATCH", "/fhir/Organization/{org}", [{"op": "replace", "path": "/name", "value": "x"}],
     "application/json-patch+json"),
    ("DELETE", "/fhir/Organization/{org}", None, "application/fhir+json"),
    ("DELETE", "/fhir/Organization?name=Refusal", None, "application/fhir+json"),
    ("POST", "/fhir", BUNDLE, "application/fhir+json"),
    ("POST", "/fhir/Bundle", DOCUMENT, "application/fhir+json"),
    ("POST", "/cases/bundle", DOCUMENT, "application/json"),
    ("POST", "/cases", FORM, "application/json"),
]


def refusals(admin: Fhir) -> list[dict[str, Any]]:
    bundle = admin.search("AuditEvent?outcome=4&_count=100")
    return [e["resource"] for e in bundle.get("entry", [])]


def send(client: FlaskClient, token: str, method: str, path: str, body: Any,
         content_type: str, org: str) -> int:
    import json

    data = None if body is None else json.dumps(body).replace("{org}", org)
    response = client.open(path.replace("{org}", org), method=method, data=data,
                           headers={"Authorization": f"Bearer {token}",
                                    "Content-Type": content_type})
    return response.status_code


@pytest.mark.parametrize(("method", "path", "body", "content_type"), WRITES,
                         ids=[f"{m} {p}" for m, p, _, _ in WRITES])
def test_a_refused_write_is_audited_on_every_route(app: Flask, fhir: Fhir, method: str,
                                                   path: str, body: Any,
                                                   content_type: str) -> None:
    org = fhir.create(ORG)["id"]
    viewer = make_token(app, "global-viewer")  # may write nothing
    status = send(app.test_client(), viewer, method, path, body, content_type, org)
    assert status == 403
    [event] = refusals(fhir)
    assert event["outcome"] == "4"
    assert event["agent"][0]["name"] == "test-global-viewer"
