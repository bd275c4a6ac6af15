"""PATCH with JSON Patch and FHIRPath Patch, If-Match, and refusal of bad patches."""

from __future__ import annotations

from tests.conftest import Fhir

HUB = {"resourceType": "Organization", "name": "Hub", "active": True}


def test_json_patch(fhir: Fhir) -> None:
    oid = fhir.create(HUB)["id"]
    ops = [{"op": "replace", "path": "/name", "value": "Patched"},
           {"op": "add", "path": "/alias", "value": ["Alias"]}]
    response = fhir.patch(f"Organization/{oid}", ops, content_type="application/json-patch+json")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["name"] == "Patched" and response.json["meta"]["versionId"] == "2"
    assert fhir.ids("Organization?name=patched") == [oid]
    history = fhir.search(f"Organization/{oid}/_history")
    assert history["entry"][0]["request"]["method"] == "PUT"


def test_fhirpath_patch(fhir: Fhir) -> None:
    oid = fhir.create(HUB)["id"]
    parameters = {"resourceType": "Parameters", "parameter": [{"name": "operation", "part": [
        {"name": "type", "valueCode": "replace"},
        {"name": "path", "valueString": "Organization.active"},
        {"name": "value", "valueBoolean": False}]}]}
    response = fhir.patch(f"Organization/{oid}", parameters)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["active"] is False


def test_patch_if_match(fhir: Fhir) -> None:
    oid = fhir.create(HUB)["id"]
    ops = [{"op": "replace", "path": "/name", "value": "x"}]
    stale = fhir.patch(f"Organization/{oid}", ops, content_type="application/json-patch+json",
                       headers={"If-Match": 'W/"2"'})
    assert stale.status_code == 412
    fresh = fhir.patch(f"Organization/{oid}", ops, content_type="application/json-patch+json",
                       headers={"If-Match": 'W/"1"'})
    assert fresh.status_code == 200


def test_patch_that_breaks_the_resource_is_refused(fhir: Fhir) -> None:
    oid = fhir.create(HUB)["id"]
    ops = [{"op": "replace", "path": "/active", "value": "not-a-boolean"}]
    response = fhir.patch(f"Organization/{oid}", ops,
                          content_type="application/json-patch+json")
    assert response.status_code == 400
    assert fhir.get(f"Organization/{oid}").json["meta"]["versionId"] == "1"


def test_patch_errors(fhir: Fhir) -> None:
    oid = fhir.create(HUB)["id"]
    assert fhir.patch(f"Organization/{oid}", {"op": "replace"},
                      content_type="application/json-patch+json").status_code == 400
    failing_test = [{"op": "test", "path": "/name", "value": "other"}]
    assert fhir.patch(f"Organization/{oid}", failing_test,
                      content_type="application/json-patch+json").status_code == 422
    change_id = [{"op": "replace", "path": "/id", "value": "other"}]
    assert fhir.patch(f"Organization/{oid}", change_id,
                      content_type="application/json-patch+json").status_code in (400, 422)
    assert fhir.patch(f"Organization/{oid}", "x", content_type="text/plain").status_code == 415
    assert fhir.patch("Organization/missing", [],
                      content_type="application/json-patch+json").status_code == 404
