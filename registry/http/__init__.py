"""The HTTP layer: one request pipeline, the FHIR API, case submission, the OpenAPI docs, the
dashboard."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path
from werkzeug.routing import BaseConverter

from registry.http import (
    cases,
    evaluations,
    headers,
    openapi,
    outcomes,
    pipeline,
    programs,
    smart,
    survey,
    web,
)
from registry.http.errors import FhirApi
from registry.http.fhir import views as fhir_views
from registry.services.node import Node

STATIC = Path(__file__).resolve().parent.parent / "static"


class FhirTypeConverter(BaseConverter):
    """A FHIR resource type name in a URL."""

    regex = r"[A-Z][A-Za-z]{0,63}"


class FhirIdConverter(BaseConverter):
    """A resource id in a URL: any path segment, so a malformed id is answered by the FHIR
    layer (an OperationOutcome), while the docs give FHIR's id pattern."""


def init_app(app: Flask) -> None:
    app.url_map.converters["fhirtype"] = FhirTypeConverter
    app.url_map.converters["fhirid"] = FhirIdConverter
    node: Node = app.extensions["registry.node"]
    app.config.update(
        API_TITLE="Telementoring Network Registry",
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/docs",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/",
        OPENAPI_SWAGGER_UI_URL="/docs/assets/",
        API_SPEC_OPTIONS={"security": [{openapi.BEARER: []}]},
    )
    api = FhirApi(app)
    api.register_converter(FhirTypeConverter, lambda _: openapi.resource_type_schema(node))
    api.register_converter(FhirIdConverter, lambda _: openapi.resource_id_schema())
    openapi.register_components(api.spec, node)
    api.register_blueprint(fhir_views.blp)
    api.register_blueprint(cases.blp)
    api.register_blueprint(evaluations.blp)
    api.register_blueprint(survey.blp)
    api.register_blueprint(outcomes.blp)
    api.register_blueprint(programs.blp)
    api.register_blueprint(programs.feeds)
    api.register_blueprint(programs.verification)
    app.register_blueprint(smart.blp)
    app.add_url_rule("/docs/assets/<path:filename>", "swagger_assets", _swagger_asset)
    app.add_url_rule("/docs/init.js", "swagger_init", _swagger_init)
    web.init_app(app)
    pipeline.init_app(app)
    headers.init_app(app)
    headers.trust_proxies(app)  # last: outside every other WSGI layer


def _swagger_asset(filename: str) -> Response:
    return send_from_directory(swagger_ui_path, filename, max_age=86_400)


def _swagger_init() -> Response:
    return send_from_directory(STATIC, "swagger-init.js", max_age=3600)
