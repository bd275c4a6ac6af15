"""Collecting responses: evaluation windows with personal survey links, the survey form's
submission, and imports from REDCap or spreadsheet CSV files.

A window is opened for one program cohort and phase: each mentee of the cohort (the Group's
PractitionerRole members) gets a link ``/survey/{token}``; only the token's SHA-256 is stored,
with the window's close as expiry, and a submission spends the link (a conditional update, so
two concurrent submissions cannot both pass). Submitted and imported answers become
QuestionnaireResponses written through the one write pipeline, so they are checked and scored
like any other; an import is one transaction (a bad row writes nothing) and each response gets
a Provenance naming the file and the importer.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from adapters.redcap import RedcapRow
from registry.errors import Gone, InvalidRequest, NotFound, Unprocessable
from registry.services.evaluations import instruments
from registry.services.evaluations.instruments import Instrument, program_language
from registry.services.evaluations.links import PHASES, link_extensions
from registry.services.evaluations.step import find_instrument
from registry.services.fhir import FhirService
from registry.services.programs.model import COHORT_PROGRAM, extension_reference
from registry.services.writes.pending import PendingWrite, new_id
from registry.storage import evaluations as rows
from registry.storage.evaluations import SurveyLink

DEFAULT_DAYS = 14
TOPIC_SYSTEM = f"{instruments.NETWORK}/CodeSystem/program-topic"
SELF_EFFICACY = f"{instruments.NETWORK}/Questionnaire/self-efficacy"
SATISFACTION = f"{instruments.NETWORK}/Questionnaire/satisfaction"


@dataclass(frozen=True)
class Invitation:
    mentee: str  # "PractitionerRole/ID"
    language: str
    token: str  # the plaintext: shown once, never stored


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _reference(value: str, res_type: str) -> str:
    kind, _, res_id = value.partition("/")
    if kind != res_type or not res_id or "/" in res_id:
        raise InvalidRequest(f"Expected {res_type}/ID, not {value!r}")
    return res_id


def default_instruments(program: dict[str, Any], phase: str) -> list[str]:
    """The network's knowledge test for the program's topic, the self-efficacy scale, and
    (after) the satisfaction survey."""
    topics = {c.get("code") for t in program.get("type", []) for c in t.get("coding", [])
              if c.get("system") == TOPIC_SYSTEM}
    found = [url for url, q in instruments.bundled().items()
             if any(c.get("code") in topics for u in q.get("useContext", [])
                    for c in u.get("valueCodeableConcept", {}).get("coding", []))]
    found.append(SELF_EFFICACY)
    if phase == "post":
        found.append(SATISFACTION)
    return found


def open_window(service: FhirService, program: str, cohort: str, phase: str, *,
                closes: date | None = None, chosen: Sequence[str] = (),
                language: str | None = None) -> list[Invitation]:
    """One personal link per mentee of the cohort, valid until the window closes; for the
    program's keepers only (``policy.opens_evaluation_window``), checked before anything."""
    program_id = _reference(program, "HealthcareService")
    program_resource = service.read("HealthcareService", program_id)
    service.access.check_evaluation_window(program_id, "operation")
    if phase not in PHASES:
        raise InvalidRequest(f"phase must be pre or post, not {phase!r}", "phase")
    try:
        group = service.read("Group", _reference(cohort, "Group")).resource()
    except NotFound:  # a reference the caller gave: a dangling one is a 422, not a 404
        raise Unprocessable(f"The cohort {cohort} is not known") from None
    named = extension_reference(group, COHORT_PROGRAM)
    if named is not None and named.split("/")[-2:] != ["HealthcareService", program_id]:
        raise Unprocessable(f"{cohort} is a cohort of {named}, not of {program}")
    urls = list(chosen) or default_instruments(program_resource.resource(), phase)
    for url in urls:
        if find_instrument(service.ctx, url) is None:
            raise NotFound(f"No evaluation instrument has the url {url!r}")
    close = closes or (datetime.now(UTC).date() + timedelta(days=DEFAULT_DAYS))
    expires = int(datetime(close.year, close.month, close.day, tzinfo=UTC).timestamp()) + 86_400
    if expires <= time.time():
        raise InvalidRequest(f"The window would close in the past ({close.isoformat()})")
    fallback = program_language(program_resource.resource())
    answered = rows.used_links(service.ctx.conn, program, cohort, phase)
    found = []
    for member in group.get("member", []):
        mentee = member.get("entity", {}).get("reference", "")
        if not mentee.startswith("PractitionerRole/") or mentee.split("/", 1)[1] in answered:
            continue  # one answer per mentee and phase: who answered gets no new link
        lang = language or _language_of(service, mentee) or fallback
        token = secrets.token_urlsafe(32)
        rows.store_link(service.ctx.conn, SurveyLink(
            hash_token(token), program, cohort, phase, mentee.split("/", 1)[1], tuple(urls),
            lang, expires, None))
        found.append(Invitation(mentee, lang, token))
    if not found:
        raise Unprocessable(f"{cohort} has no PractitionerRole member without an answer "
                            f"to the {phase} evaluation")
    return found


WINDOW_PARAMETERS = {"cohort": "valueReference", "phase": "valueCode", "closes": "valueDate",
                     "instrument": "valueCanonical", "lang": "valueCode"}


def open_window_operation(service: FhirService, program_id: str, body: Any,
                          site: str) -> dict[str, Any]:
    """``$evaluation-window``: ``open_window`` with a Parameters body, answered with one
    ``link`` part per mentee (its PractitionerRole and the survey URL under ``site``)."""
    service.read("HealthcareService", program_id)
    service.access.check_evaluation_window(program_id, "operation")  # before the body
    given = _window_parameters(body)
    closes = given.get("closes")
    try:
        close = date.fromisoformat(closes[0]) if closes else None
    except ValueError:
        raise InvalidRequest(f"closes must be a date (YYYY-MM-DD), not {closes!r}",
                             "Parameters.parameter") from None
    lang = given.get("lang", [None])[0]
    if lang is not None and lang not in instruments.LANGUAGES:
        raise InvalidRequest(f"lang must be one of {', '.join(instruments.LANGUAGES)}, not "
                             f"{lang!r}", "Parameters.parameter")
    if "cohort" not in given or "phase" not in given:
        raise InvalidRequest("$evaluation-window needs a cohort and a phase",
                             "Parameters.parameter")
    invitations = open_window(service, f"HealthcareService/{program_id}", given["cohort"][0],
                              given["phase"][0], closes=close,
                              chosen=given.get("instrument", []), language=lang)
    return {"resourceType": "Parameters", "parameter": [
        {"name": "link", "part": [
            {"name": "mentee", "valueReference": {"reference": i.mentee}},
            {"name": "lang", "valueCode": i.language},
            {"name": "url", "valueUrl": f"{site.rstrip('/')}/survey/{i.token}"}]}
        for i in invitations]}


def _window_parameters(body: Any) -> dict[str, list[str]]:
    """The window's parameters by name; 400 for an unknown name, a value of the wrong type,
    or a repeated single-valued parameter."""
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise InvalidRequest("$evaluation-window takes a Parameters resource")
    found: dict[str, list[str]] = {}
    for parameter in body.get("parameter") or []:
        name = parameter.get("name") if isinstance(parameter, dict) else None
        kind = WINDOW_PARAMETERS.get(name or "")
        value = parameter.get(kind) if kind else None
        if kind == "valueReference":
            value = value.get("reference") if isinstance(value, dict) else None
        if name is None or not isinstance(value, str) or not value:
            raise InvalidRequest(f"Unexpected parameter {name!r}: $evaluation-window takes "
                                 + ", ".join(f"{n} ({k})" for n, k in
                                             WINDOW_PARAMETERS.items()),
                                 "Parameters.parameter")
        if name in found and name != "instrument":
            raise InvalidRequest(f"{name} is given more than once", "Parameters.parameter")
        found.setdefault(name, []).append(value)
    return found


def _language_of(service: FhirService, mentee: str) -> str | None:
    """The mentee's language: the first of the network's among Practitioner.communication."""
    role = service.ctx.resources.resolve(mentee)
    person = role and service.ctx.resources.resolve(
        role.get("practitioner", {}).get("reference", ""))
    for concept in (person or {}).get("communication", []):
        for coding in concept.get("coding", []):
            code = str(coding.get("code", ""))[:2]
            if code in instruments.LANGUAGES:
                return code
    return None


@dataclass(frozen=True)
class Survey:
    link: SurveyLink
    instruments: list[Instrument]


def survey(service: FhirService, token: str) -> Survey:
    """The form behind a link; 410 when it was used or has expired, 404 when unknown."""
    link = rows.find_link(service.ctx.conn, hash_token(token))
    if link is None:
        raise NotFound("This survey link is not known")
    if link.used is not None or link.expires <= time.time():
        raise Gone("This survey link was already used or has expired")
    found = [find_instrument(service.ctx, url) for url in link.instruments]
    return Survey(link, [i for i in found if i is not None])


def submit(service: FhirService, token: str, form: Mapping[str, str]) -> list[str]:
    """Store the answers of a survey form (fields ``<instrument index>:<linkId>``) as one
    response per instrument; the link is spent in the same transaction."""
    found = survey(service, token)
    link, now = found.link, int(time.time())
    writes = []
    for n, instrument in enumerate(found.instruments):
        answers = {item.link_id: form[f"{n}:{item.link_id}"] for item in instrument.items
                   if form.get(f"{n}:{item.link_id}")}
        missing = [i.link_id for i in instrument.items if i.required and i.link_id not in answers]
        if missing:
            raise Unprocessable(f"Please answer every question ({', '.join(missing)})")
        writes.append(_response(instrument, link.program, link.cohort, link.phase,
                                link.mentee, date.today().isoformat(), answers))
    if not rows.use_link(service.ctx.conn, link.token_hash, now):
        raise Gone("This survey link was already used or has expired")
    result = service.write([PendingWrite("QuestionnaireResponse", new_id(), w, "POST",
                                         fresh=True) for w in writes])
    return [s.reference for s in result.stored]


def _response(instrument: Instrument, program: str, cohort: str | None, phase: str,
              mentee: str, authored: str, answers: Mapping[str, str]) -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "status": "completed",
            "questionnaire": instrument.url,
            "extension": link_extensions(program, cohort, phase),
            "author": {"reference": f"PractitionerRole/{mentee}"}, "authored": authored,
            "item": [{"linkId": link, "answer": [{"valueCoding": {"code": code}}]}
                     for link, code in answers.items()]}


def import_rows(service: FhirService, data: Sequence[RedcapRow], *, program: str,
                cohort: str | None, phase: str, instrument_url: str, file_name: str,
                importer: str) -> list[str]:
    """Responses from CSV rows, each with a Provenance naming the file and the importer; the
    first bad row is refused with its row number and nothing is written."""
    if phase not in PHASES:
        raise InvalidRequest(f"phase must be pre or post, not {phase!r}", "phase")
    service.read("HealthcareService", _reference(program, "HealthcareService"))
    instrument = find_instrument(service.ctx, instrument_url)
    if instrument is None:
        raise NotFound(f"No evaluation instrument has the url {instrument_url!r}")
    writes = []
    for row in data:
        body = _imported(service, instrument, row, program, cohort, phase)
        writes.append(PendingWrite("QuestionnaireResponse", new_id(), body, "POST", fresh=True,
                                   where=f"row {row.line}"))
    result = service.write(writes)
    provenance = [_provenance(s.reference, file_name, importer) for s in result.stored]
    service.write([PendingWrite("Provenance", new_id(), p, "POST", fresh=True)
                   for p in provenance])
    return [s.reference for s in result.stored]


def _imported(service: FhirService, instrument: Instrument, row: RedcapRow, program: str,
              cohort: str | None, phase: str) -> dict[str, Any]:
    mentee = row.mentee.removeprefix("PractitionerRole/")
    if service.ctx.resources.resolve(f"PractitionerRole/{mentee}") is None:
        raise Unprocessable(f"row {row.line}: PractitionerRole/{mentee} is not known")
    columns = {item.link_id: item for item in instrument.items}
    answers = {}
    for column, value in row.answers.items():
        link = column if column in columns else column.replace("_", "-")
        if link not in columns:
            raise Unprocessable(f"row {row.line}: column {column!r} is no item of "
                                f"{instrument.url}")
        if columns[link].score(value) is None:
            raise Unprocessable(f"row {row.line}: {value!r} is no option of item {link!r}")
        answers[link] = value
    authored = row.authored or date.today().isoformat()
    try:
        date.fromisoformat(authored)
    except ValueError:
        raise Unprocessable(f"row {row.line}: {authored!r} is not a date (YYYY-MM-DD)") from None
    return _response(instrument, program, cohort, phase, mentee, authored, answers)


def _provenance(target: str, file_name: str, importer: str) -> dict[str, Any]:
    return {"resourceType": "Provenance", "target": [{"reference": target}],
            "recorded": datetime.now(UTC).isoformat(timespec="seconds"),
            "activity": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
                "code": "CREATE"}]},
            "agent": [{"type": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                "code": "enterer"}]}, "who": {"display": importer}}],
            "entity": [{"role": "source", "what": {"display": file_name}}]}
