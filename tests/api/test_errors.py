"""Every error path answers an OperationOutcome with the right status and writes nothing."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import Fhir

HUB = {"resourceType": "Organization", "name": "Hub"}


def count(fhir: Fhir) -> int:
    return int(fhir.search("Organization?_summary=count")["total"])


def assert_outcome(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["severity"] in ("error", "fatal")
    return body


def test_missing_or_bad_token_is_401(anonymous: Fhir) -> None:
    body = assert_outcome(anonymous.get("Organization"), 401)
    assert body["issue"][0]["code"] == "login"
    anonymous.token = "tnr_not-a-token"
    response = anonymous.get("Organization")
    assert_outcome(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_metadata_needs_no_token(anonymous: Fhir) -> None:
    response = anonymous.get("metadata")
    assert response.status_code == 200
    assert response.json["resourceType"] == "CapabilityStatement"


def test_revoked_and_expired_tokens_are_refused(app: Flask) -> None:
    from registry.http.auth import forget_tokens
    from registry.services import tokens
    from tests.conftest import system_service

    with system_service(app) as service:
        plaintext, token_id = tokens.create_token(service.ctx.conn, role="network-admin",
                                                  name="x")
        tokens.revoke_token(service.ctx.conn, token_id)
    forget_tokens()
    assert_outcome(Fhir(app.test_client(), plaintext).get("Organization"), 401)


def test_broken_json_is_400(fhir: Fhir) -> None:
    assert_outcome(fhir.post("Organization", "{not json"), 400)
    assert count(fhir) == 0


def test_invalid_resource_is_400_with_expression(fhir: Fhir) -> None:
    body = assert_outcome(fhir.post("Organization", {**HUB, "address": [{"country": ["x"]}]}),
                          400)
    assert "Organization.address[0].country" in body["issue"][0]["expression"]
    body = assert_outcome(fhir.post("Organization", {**HUB, "colour": "red"}), 400)
    assert body["issue"][0]["expression"] == ["Organization.colour"]
    assert count(fhir) == 0


def test_wrong_type_in_body_is_400(fhir: Fhir) -> None:
    assert_outcome(fhir.post("Organization", {"resourceType": "Location"}), 400)


def test_body_not_an_object_is_400(fhir: Fhir) -> None:
    assert_outcome(fhir.post("Organization", [1, 2]), 400)


def test_wrong_content_type_is_415(fhir: Fhir) -> None:
    assert_outcome(fhir.post("Organization", HUB, content_type="text/plain"), 415)


def test_xml_is_406(fhir: Fhir) -> None:
    assert_outcome(fhir.get("Organization", headers={"Accept": "application/fhir+xml"}), 406)
    assert_outcome(fhir.get("Organization?_format=xml"), 406)
    assert fhir.get("Organization?_format=json").status_code == 200


def test_unsupported_method_is_405(fhir: Fhir) -> None:
    assert_outcome(fhir.request("PATCH", "Organization", {}), 405)


def test_body_too_large_is_413(app: Flask, fhir: Fhir) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 200
    body = {**HUB, "alias": ["x" * 300]}
    assert_outcome(fhir.post("Organization", body), 413)
    assert count(fhir) == 0


def test_too_many_bundle_entries_is_413(app: Flask, fhir: Fhir) -> None:
    import dataclasses

    node = app.extensions["registry.node"]
    app.extensions["registry.node"] = dataclasses.replace(node, max_bundle_entries=2)
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": HUB, "request": {"method": "POST", "url": "Organization"}}] * 3}
    assert_outcome(fhir.post("", bundle), 413)


@pytest.mark.parametrize("query", [
    "Organization?_count=abc", "Organization?_sort=nonsense", "Organization?_summary=maybe",
    "Organization?name:fuzzy=x", "Organization?_lastUpdated=yesterday",
    "Organization?_include=Organization:name", "Location?near=abc",
])
def test_bad_search_parameters_are_400(fhir: Fhir, query: str) -> None:
    assert_outcome(fhir.get(query), 400)


def test_unknown_search_parameter_lenient_and_strict(fhir: Fhir) -> None:
    fhir.create(HUB)
    lenient = fhir.search("Organization?colour=red")
    outcomes = [e for e in lenient["entry"] if e["search"]["mode"] == "outcome"]
    assert outcomes and "colour" in outcomes[0]["resource"]["issue"][0]["diagnostics"]
    assert_outcome(fhir.get("Organization?colour=red",
                            headers={"Prefer": "handling=strict"}), 400)


def test_unexpected_error_is_500_without_internals(app: Flask, fhir: Fhir,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from registry.services import fhir as service

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(service.FhirService, "read", boom)
    response = fhir.get("Organization/x")
    body = assert_outcome(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert body["issue"][0]["diagnostics"] == "Internal server error"


def test_the_capability_statement_advertises_only_what_some_role_may_do(anonymous: Fhir) -> None:
    statement = anonymous.get("metadata").json
    rest = statement["rest"][0]
    kinds = {r["type"]: {i["code"] for i in r["interaction"]} for r in rest["resource"]}
    assert "create" not in kinds["AuditEvent"] and "read" in kinds["AuditEvent"]
    assert "create" not in kinds["Composition"]  # only inside a case Bundle
    assert {"create", "update", "delete"} <= kinds["Organization"]
    assert "OAuth" not in str(rest["security"])


def test_options_lists_only_the_methods_of_its_own_endpoint(anonymous: Fhir) -> None:
    allowed = anonymous.client.open("/fhir/$export", method="OPTIONS").headers["Allow"]
    assert set(allowed.replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


def test_an_over_long_request_line_is_an_operation_outcome(fhir: Fhir) -> None:
    body = assert_outcome(fhir.get("Organization?name=" + "a" * 9000), 414)
    assert body["issue"][0]["code"] == "too-costly"
