"""The HTTP layer: the FHIR blueprint, OpenAPI docs served from local assets."""

from __future__ import annotations

from flask import Flask, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from registry.api import cases, fhir_routes, plain_reads, security
from registry.api.base import FhirApi


def init_app(app: Flask) -> None:
    app.config.update(
        API_TITLE="Telementoring Network Registry",
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/docs",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/",
        OPENAPI_SWAGGER_UI_URL="/docs/assets/",
    )
    api = FhirApi(app)
    api.register_blueprint(fhir_routes.blp)
    api.register_blueprint(cases.blp)
    cases.install_node_secret(app)  # case de-identification needs the node's secret
    app.add_url_rule("/docs/assets/<path:filename>", "swagger_assets", _swagger_asset)
    security.init_app(app)
    plain_reads.install(app)  # beneath the proxy fix, so it sees the client's address
    security.trust_proxies(app)


def _swagger_asset(filename: str):  # type: ignore[no-untyped-def]
    return send_from_directory(swagger_ui_path, filename, max_age=86_400)
