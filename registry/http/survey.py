"""Personal survey links: ``GET /survey/{token}`` shows the form, ``POST`` submits it.

No account: the link is the credential (single use, expiring; only its hash is stored). The
unit of work acts as the node's survey collector; what it may write is what the link names.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from flask import Response, request
from flask_smorest import Blueprint

from registry.errors import Gone, NotFound
from registry.http.pipeline import base_url, database, node, trail
from registry.services.caller import Caller
from registry.services.evaluations import collection, form
from registry.services.fhir import FhirService
from registry.services.unit import unit_of_work

blp = Blueprint("survey", __name__, url_prefix="/survey",
                description="Personal evaluation survey links (no account)")
HTML = "text/html; charset=utf-8"


def _unit(*, write: bool) -> AbstractContextManager[FhirService]:
    return unit_of_work(database(), node(), Caller.system("survey-link"), trail(), base_url(),
                        write=write)


@blp.route("/<string:token>", methods=["GET"])
@blp.doc(summary="The evaluation form of a personal link, in the mentee's language")
def show(token: str) -> Response:
    try:
        with _unit(write=False) as service:
            found = collection.survey(service, token)
    except (Gone, NotFound) as exc:
        return Response(form.message(request.accept_languages.best_match(
            ["en", "es", "pt", "fr"]) or "en", "link_used"), status=_status(exc),
            content_type=HTML)
    return Response(form.render_form(found, request.path), content_type=HTML)


@blp.route("/<string:token>", methods=["POST"])
@blp.doc(summary="Submit the form: one QuestionnaireResponse per instrument; the link is spent")
def submit(token: str) -> Response:
    try:
        with _unit(write=True) as service:
            language = collection.survey(service, token).link.language
            collection.submit(service, token, request.form)
    except (Gone, NotFound) as exc:
        return Response(form.message("en", "link_used"), status=_status(exc),
                        content_type=HTML)
    return Response(form.message(language, "thanks"), status=201, content_type=HTML)


def _status(exc: Exception) -> int:
    return 410 if isinstance(exc, Gone) else 404
