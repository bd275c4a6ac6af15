"""Instance and type interactions: create, read, vread, update, delete, headers, Prefer."""

from __future__ import annotations

from tests.conftest import Fhir

HUB = {"resourceType": "Organization", "name": "Hub Andino de Adicciones (demo)",
       "identifier": [{"system": "https://hubs.example.org", "value": "HUB-1"}],
       "address": [{"country": "PE"}], "active": True}


def test_create_sets_server_fields_and_headers(fhir: Fhir) -> None:
    response = fhir.post("Organization", {**HUB, "meta": {"source": "https://peer.example"}})
    assert response.status_code == 201
    body = response.json
    assert body["meta"]["versionId"] == "1" and body["meta"]["lastUpdated"].endswith("Z")
    assert body["meta"]["source"] == "https://peer.example"
    assert response.headers["ETag"] == 'W/"1"'
    assert response.headers["Location"] == (
        f"http://registry.test/fhir/Organization/{body['id']}/_history/1")
    assert "GMT" in response.headers["Last-Modified"]
    assert response.content_type.startswith("application/fhir+json")


def test_create_ignores_client_id_and_version(fhir: Fhir) -> None:
    body = fhir.create({**HUB, "id": "chosen", "meta": {"versionId": "9"}})
    assert body["id"] != "chosen" and body["meta"]["versionId"] == "1"


def test_read_and_vread(fhir: Fhir) -> None:
    created = fhir.create(HUB)
    read = fhir.get(f"Organization/{created['id']}")
    assert read.status_code == 200 and read.json == created
    assert fhir.get(f"Organization/{created['id']}/_history/1").json == created
    assert fhir.get(f"Organization/{created['id']}/_history/2").status_code == 404
    assert fhir.get(f"Organization/{created['id']}/_history/x").status_code == 404


def test_conditional_read_with_if_none_match(fhir: Fhir) -> None:
    created = fhir.create(HUB)
    response = fhir.get(f"Organization/{created['id']}", headers={"If-None-Match": 'W/"1"'})
    assert response.status_code == 304


def test_read_unknown_is_404_and_unknown_type_is_404(fhir: Fhir) -> None:
    assert fhir.get("Organization/nope").status_code == 404
    response = fhir.get("Patient/1")
    assert response.status_code == 404
    assert response.json["resourceType"] == "OperationOutcome"


def test_update_increments_version_and_keeps_history(fhir: Fhir) -> None:
    created = fhir.create(HUB)
    oid = created["id"]
    response = fhir.put(f"Organization/{oid}", {**HUB, "id": oid, "name": "Renamed"})
    assert response.status_code == 200 and response.json["meta"]["versionId"] == "2"
    assert fhir.get(f"Organization/{oid}/_history/1").json["name"] == HUB["name"]
    assert fhir.get(f"Organization/{oid}").json["name"] == "Renamed"


def test_update_as_create_with_client_id(fhir: Fhir) -> None:
    response = fhir.put("Organization/hub-pe-1", {**HUB, "id": "hub-pe-1"})
    assert response.status_code == 201
    assert response.json["id"] == "hub-pe-1"
    assert fhir.put("Organization/hub-pe-1", {**HUB, "id": "hub-pe-1"}).status_code == 200


def test_update_id_mismatch_is_400(fhir: Fhir) -> None:
    response = fhir.put("Organization/a", {**HUB, "id": "b"})
    assert response.status_code == 400
    assert fhir.get("Organization/a").status_code == 404


def test_if_match_on_update_and_delete(fhir: Fhir) -> None:
    oid = fhir.create(HUB)["id"]
    stale = fhir.put(f"Organization/{oid}", {**HUB, "id": oid}, headers={"If-Match": 'W/"7"'})
    assert stale.status_code == 412
    ok = fhir.put(f"Organization/{oid}", {**HUB, "id": oid}, headers={"If-Match": 'W/"1"'})
    assert ok.status_code == 200
    assert fhir.delete(f"Organization/{oid}", headers={"If-Match": 'W/"1"'}).status_code == 412
    assert fhir.delete(f"Organization/{oid}", headers={"If-Match": 'W/"2"'}).status_code == 204


def test_delete_then_gone_and_versioned(fhir: Fhir) -> None:
    oid = fhir.create(HUB)["id"]
    assert fhir.delete(f"Organization/{oid}").status_code == 204
    assert fhir.get(f"Organization/{oid}").status_code == 410
    assert fhir.delete(f"Organization/{oid}").status_code == 204  # idempotent, no new version
    history = fhir.search(f"Organization/{oid}/_history")
    assert [e["request"]["method"] for e in history["entry"]] == ["DELETE", "POST"]
    assert fhir.get(f"Organization/{oid}/_history/2").status_code == 410
    revived = fhir.put(f"Organization/{oid}", {**HUB, "id": oid})
    assert revived.status_code == 201 and revived.json["meta"]["versionId"] == "3"


def test_delete_unknown_is_404(fhir: Fhir) -> None:
    assert fhir.delete("Organization/never").status_code == 404


def test_prefer_return(fhir: Fhir) -> None:
    minimal = fhir.post("Organization", HUB, headers={"Prefer": "return=minimal"})
    assert minimal.status_code == 201 and minimal.get_data() == b""
    assert minimal.headers["Location"]
    outcome = fhir.post("Organization", HUB, headers={"Prefer": "return=OperationOutcome"})
    assert outcome.json["resourceType"] == "OperationOutcome"
    representation = fhir.post("Organization", HUB, headers={"Prefer": "return=representation"})
    assert representation.json["resourceType"] == "Organization"


def test_conditional_create(fhir: Fhir) -> None:
    condition = {"If-None-Exist": "identifier=https://hubs.example.org|HUB-1"}
    first = fhir.post("Organization", HUB, headers=condition)
    second = fhir.post("Organization", HUB, headers=condition)
    assert first.status_code == 201 and second.status_code == 200
    assert second.json["id"] == first.json["id"]
    fhir.create(HUB)
    assert fhir.post("Organization", HUB, headers=condition).status_code == 412


def test_conditional_update(fhir: Fhir) -> None:
    query = "Organization?identifier=https://hubs.example.org|HUB-1"
    created = fhir.put(query, HUB)
    assert created.status_code == 201
    updated = fhir.put(query, {**HUB, "name": "New name"})
    assert updated.status_code == 200 and updated.json["id"] == created.json["id"]
    fhir.create(HUB)
    assert fhir.put(query, HUB).status_code == 412


def test_conditional_delete(fhir: Fhir) -> None:
    oid = fhir.create(HUB)["id"]
    assert fhir.delete("Organization?identifier=HUB-1").status_code == 204
    assert fhir.get(f"Organization/{oid}").status_code == 410
    assert fhir.delete("Organization?identifier=nothing").status_code == 204


def test_conditional_with_unknown_parameter_is_400(fhir: Fhir) -> None:
    assert fhir.delete("Organization?nonsense=1").status_code == 400
