"""The evaluation operations on a program: ``$evaluation-window`` (opens a pre or post window:
one personal survey link per mentee), ``$evaluation-analysis`` (a Parameters resource with
every figure) and ``$evaluation-report`` (the detailed report, HTML or PDF)."""

from __future__ import annotations

from flask import Response, request
from flask_smorest import Blueprint

from registry.http.fhir.responses import fhir_response, json_body
from registry.http.pipeline import base_url, unit
from registry.services.evaluations.collection import open_window_operation

blp = Blueprint("evaluations", __name__, url_prefix="/fhir",
                description="Pre- and post-evaluations: analysis and detailed report")

PROGRAM = "/HealthcareService/<string:program_id>"
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


@blp.route(f"{PROGRAM}/$evaluation-window", methods=["POST"])
@blp.doc(summary="Open a pre or post evaluation window for a cohort (Parameters: cohort, "
         "phase, closes, instrument, lang): one personal survey link per mentee")
def evaluation_window(program_id: str) -> Response:
    with unit(write=True) as service:
        links = open_window_operation(service, program_id, json_body(),
                                      base_url().removesuffix("/fhir"))
    return fhir_response(links)


@blp.route(f"{PROGRAM}/$evaluation-analysis", methods=["GET"])
@blp.doc(summary="Evaluation analysis of a program (?cohort=Group/ID): Parameters")
def evaluation_analysis(program_id: str) -> Response:
    with unit(write=False) as service:
        # imported here: scipy and statsmodels would add seconds to every start-up
        from registry.services.evaluations.analysis import analyse, to_parameters
        found = analyse(service, program_id, request.args.get("cohort") or None)
    return fhir_response(to_parameters(found))


@blp.route(f"{PROGRAM}/$evaluation-report", methods=["GET"])
@blp.doc(summary="Detailed evaluation report (?format=html|pdf&lang=en|es|pt|fr&cohort=)")
def evaluation_report(program_id: str) -> Response:
    fmt = request.args.get("format", "html")
    with unit(write=False) as service:
        # imported here: matplotlib and fpdf2 would add seconds to every start-up
        from registry.services.evaluations.report import program_report
        document = program_report(service, program_id, request.args.get("cohort") or None,
                                  fmt, request.args.get("lang") or None)
    return Response(document, status=200, content_type=MEDIA_TYPES[fmt])
