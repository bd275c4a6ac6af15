"""The OpenAPI document describes the FHIR API well enough to call it (issue #35, #37)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.conftest import make_token


def spec(app: Flask) -> dict[str, Any]:
    return app.test_client().get("/docs/openapi.json").json  # type: ignore[no-any-return]


def parameter(operation: dict[str, Any], path: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in [*operation.get("parameters", []), *path.get("parameters", [])]
                if p.get("name") == name)


def test_every_operation_needs_a_bearer_token_but_the_capability_statement(app: Flask) -> None:
    document = spec(app)
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": document["components"][
            "securitySchemes"]["bearerAuth"]["description"]}
    assert document["security"] == [{"bearerAuth": []}]
    assert document["paths"]["/fhir/metadata"]["get"]["security"] == []


def test_resource_types_are_an_enum_of_what_the_node_serves(app: Flask) -> None:
    path = spec(app)["paths"]["/fhir/{res_type}/{res_id}"]
    res_type = parameter(path["get"], path, "res_type")
    assert res_type["schema"]["enum"] == list(app.extensions["registry.node"].resource_types)
    assert parameter(path["get"], path, "res_id")["schema"]["pattern"]


def test_bodies_parameters_and_errors_are_described(app: Flask) -> None:
    document = spec(app)
    paths = document["paths"]
    create = paths["/fhir/{res_type}"]["post"]
    assert create["requestBody"]["content"]["application/fhir+json"]["schema"] == {
        "$ref": "#/components/schemas/Resource"}
    assert create["responses"]["422"] == {"$ref": "#/components/responses/Error422"}
    error = document["components"]["responses"]["Error422"]["content"]["application/fhir+json"]
    assert error["schema"] == {"$ref": "#/components/schemas/OperationOutcome"}
    search = paths["/fhir/{res_type}"]["get"]
    names = {p["name"] for p in search["parameters"] if "name" in p}
    assert {"_count", "_sort", "_include", "_total", "criteria"} <= names
    assert {"$ref": "#/components/parameters/_lastUpdated"} in search["parameters"]
    patch = paths["/fhir/{res_type}/{res_id}"]["patch"]["requestBody"]["content"]
    assert set(patch) == {"application/json-patch+json", "application/fhir+json"}
    assert parameter(paths["/fhir/{res_type}/{res_id}"]["put"], {}, "If-Match")["in"] == (
        "header")


def test_the_documented_example_is_accepted_as_documented(app: Flask) -> None:
    """The docs page's "Try it out" sends the example body with the bearer token."""
    example = spec(app)["components"]["schemas"]["Resource"]["example"]
    response = app.test_client().post("/fhir/Organization", json=example, headers={
        "Authorization": f"Bearer {make_token(app)}", "Content-Type": "application/fhir+json"})
    assert response.status_code == 201, response.get_data(as_text=True)
