"""Aggregate outcomes over FHIR: ``Measure/[id]/$evaluate-measure``,
``MeasureReport/$aggregate-export`` and ``MeasureReport/$aggregate-import``."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, current_app, request
from flask_smorest import Blueprint

from registry.config import Settings
from registry.errors import InvalidRequest, information, operation_outcome
from registry.http.fhir.responses import fhir_response
from registry.http.pipeline import unit
from registry.services.outcomes import exchange
from registry.services.reporting import outcomes_service

blp = Blueprint("outcomes", __name__, url_prefix="/fhir",
                description="Aggregate outcomes: indicators, released reports, DHIS2/ADX")


def _settings() -> Settings:
    return current_app.config["REGISTRY"]  # type: ignore[no-any-return]


@blp.route("/Measure/<string:measure_id>/$evaluate-measure", methods=["GET"])
@blp.doc(summary="$evaluate-measure (periodStart, periodEnd, subject=Organization/ID): exact "
                 "figures to network-admin and the hub's own admin, else the released report")
def evaluate_measure(measure_id: str) -> Response:
    args = request.args
    with unit(write=False) as service:
        report = outcomes_service(service).evaluate_measure(
            measure_id, args.get("periodStart"), args.get("periodEnd"), args.get("subject"))
    return fhir_response(report)


@blp.route("/MeasureReport/$aggregate-export", methods=["GET"])
@blp.doc(summary="Released (masked) reports of a period as format=dhis2|adx|csv|fhir")
def aggregate_export() -> Response:
    fmt, period = request.args.get("format", "fhir"), request.args.get("period")
    if not period:
        raise InvalidRequest("$aggregate-export needs period (YYYY, YYYY-Qn or YYYY-MM)")
    with unit(write=False) as service:
        reports = outcomes_service(service).released(period)
    text, media_type = exchange.export(
        reports, fmt, exported=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        mapping=exchange.dhis2_mapping(_settings().dhis2_mapping) if fmt == "dhis2" else None)
    return Response(text, content_type=media_type)


@blp.route("/MeasureReport/$aggregate-import", methods=["POST"])
@blp.doc(summary="Import a DHIS2 data value set (JSON) or an ADX document (XML) as pending "
                 "reports; nothing is stored when any value is bad")
def aggregate_import() -> Response:
    fmt = exchange.format_of_content_type(request.content_type or "")
    mapping = exchange.dhis2_mapping(_settings().dhis2_mapping) if fmt == "dhis2" else None
    reports = exchange.parse(fmt, request.get_data(), mapping)
    with unit(write=True) as service:
        count = outcomes_service(service).import_reports(reports)
    return fhir_response(operation_outcome([information(
        "informational", f"{count} MeasureReports imported as pending")]))
