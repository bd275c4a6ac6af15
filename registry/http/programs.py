"""Running a program over FHIR: operations on cohorts and programs, and the calendar feeds.

The operations live under ``/fhir`` beside the REST interactions; the feeds live under
``/calendar`` because calendar clients subscribe to a plain URL: a feed is read with the
caller's bearer token (under the policy) or, without one, with the feed's key in ``?key=``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Response, request
from flask_smorest import Blueprint

from registry.errors import InvalidRequest, NotAuthenticated
from registry.http.fhir.responses import fhir_response, json_body
from registry.http.pipeline import base_url, caller, database, node, trail, unit
from registry.services.caller import Caller
from registry.services.fhir import FhirService
from registry.services.programs import (
    calendar,
    certificates,
    consultations,
    needs,
    progress,
    schedule,
)
from registry.services.programs.model import parameter_lists
from registry.services.unit import unit_of_work

blp = Blueprint("programs", __name__, url_prefix="/fhir",
                description="Running a program: cohorts, needs, schedules, progress")
feeds = Blueprint("calendar", __name__, url_prefix="/calendar",
                  description="iCalendar feeds of a program's and a cohort's sessions")
verification = Blueprint("verify", __name__, url_prefix="/verify",
                         description="Anyone can check a certificate's verification code")


@blp.route("/Group/<string:group_id>/$needs-summary", methods=["GET"])
@blp.doc(summary="A cohort's intake needs: top needs overall, by discipline and settlement")
def needs_summary(group_id: str) -> Response:
    with unit(write=False) as service:
        summary = needs.needs_summary(service, group_id)
    return fhir_response(summary)


@blp.route("/Group/<string:group_id>/$progress", methods=["GET"])
@blp.doc(summary="A cohort's progress: sessions held against plan, topics covered, "
         "attendance per mentee, mentees at risk (missed the last `missed` sessions)")
def cohort_progress(group_id: str) -> Response:
    params = request.args.to_dict(flat=False)
    with unit(write=False) as service:
        figures = progress.progress(service, group_id, params)
    return fhir_response(figures)


@blp.route("/Group/<string:group_id>/$schedule", methods=["POST"])
@blp.doc(summary="Plan a cohort's sessions from an RRULE (start, timezone, duration, "
         "holidays skipped), in one transaction")
def schedule_sessions(group_id: str) -> Response:
    params = parameter_lists(json_body())
    with unit(write=True) as service:
        created = schedule.schedule(service, group_id, params)
    return fhir_response(created, 201)


@blp.route("/HealthcareService/<string:program_id>/$rotate-calendar-key", methods=["POST"])
@blp.doc(summary="Rotate the key of a program's calendar feeds; answers the new feed URLs")
def rotate_calendar_key(program_id: str) -> Response:
    with unit(write=True) as service:
        links = calendar.rotate_key(service, program_id)
    return fhir_response(links)


@blp.route("/Organization/<string:hub_id>/$consultation-turnaround", methods=["GET"])
@blp.doc(summary="A hub's consultations: asked, answered, hours to the first answer "
         "(periodStart, periodEnd)")
def consultation_turnaround(hub_id: str) -> Response:
    params = request.args.to_dict(flat=False)
    with unit(write=False) as service:
        figures = consultations.turnaround(service, hub_id, params)
    return fhir_response(figures)


@blp.route("/PractitionerRole/<string:role_id>/$certificate", methods=["POST"])
@blp.doc(summary="Issue a mentee's certificate of participation in a program "
         "(program=HealthcareService/ID, lang); answers the PDF. POST only: every call "
         "issues and stores a new certificate with its own verification code")
def certificate(role_id: str) -> Response:
    params = request.args.to_dict(flat=False)
    if request.data:
        params.update(parameter_lists(json_body()))
    program = (params.get("program") or [""])[0]
    if not program:
        raise InvalidRequest("$certificate needs program=HealthcareService/ID", "program")
    with unit(write=True) as service:
        issued = certificates.issue(service, role_id, program, request.args.get("lang")
                                    or next(iter(params.get("lang") or []), None))
    return Response(issued.pdf, 201, content_type="application/pdf", headers={
        "Location": f"{base_url()}/{issued.reference}", "X-Verification-Code": issued.code,
        "Content-Disposition": f'inline; filename="certificate-{issued.code}.pdf"'})


@verification.route("/<string:code>", methods=["GET"])
@verification.doc(summary="Whether a certificate is valid, with its name and hours only",
                  security=[])
def verify(code: str) -> Response:
    with unit_of_work(database(), node(), Caller.system("verify"), trail(), base_url(),
                      write=False) as service:
        found = certificates.verify(service, code)
    return Response(json.dumps(found), 200, content_type="application/json")


@feeds.route("/<string:kind>/<string:res_id>.ics", methods=["GET"])
@feeds.doc(summary="iCalendar feed (bearer token, or the feed key in ?key=)", security=[])
def feed(kind: str, res_id: str) -> Response:
    with _feed_unit(kind, res_id) as service:
        body = calendar.feed(service, kind, res_id)
    return Response(body, 200, content_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300"})


@contextmanager
def _feed_unit(kind: str, res_id: str) -> Iterator[FhirService]:
    """The signed-in caller's unit of work; with a key instead, the node's own, once the key
    is checked (it opens this feed and nothing else)."""
    if caller() is not None:
        with unit(write=False) as service:
            yield service
        return
    key = request.args.get("key")
    if not key:
        raise NotAuthenticated("A calendar feed needs a bearer token or its key in ?key=")
    with unit_of_work(database(), node(), Caller.system("calendar-feed"), trail(), base_url(),
                      write=False) as service:
        calendar.check_key(service, kind, res_id, key)
        yield service
