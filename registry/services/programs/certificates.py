"""Certificates of participation: per mentee and program, a PDF anyone can verify.

The certificate lists the program's sessions the mentee attended (date, topic, minutes present,
overlaps counted once: ``registry.services.sessions``), the learning resources they completed
(with their length) and the total hours, in the mentee's language (``--lang`` or the first of
``Practitioner.communication`` the registry speaks, else English). It is stored as a
DocumentReference of the program's hub (type ``participation-certificate``, the PDF as its
attachment, a random verification code as its identifier), written through the write pipeline,
so only who may write to the hub's catalogue may issue one. ``GET /verify/{code}`` answers,
to anyone, only whether the code is valid and the certificate's name and hours.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from registry.errors import InvalidRequest, NotFound, Unprocessable, error
from registry.services.fhir import FhirService
from registry.services.programs.learning import COMPLETION, duration_minutes
from registry.services.programs.model import BASE, CS, PROGRAM_TASK, local_id, search_all
from registry.services.sessions import attendance_minutes, parse_instant

CERTIFICATE_SYSTEM = f"{BASE}/sid/certificate"
CERTIFICATE_TYPE = {"system": f"{CS}/program-document", "code": "participation-certificate"}
HOURS_EXT = f"{BASE}/StructureDefinition/certificate-hours"
LANGUAGES = ("en", "es", "pt", "fr")
WORDS: dict[str, dict[str, str]] = {
    "title": {"en": "Certificate of participation", "es": "Certificado de participación",
              "pt": "Certificado de participação", "fr": "Attestation de participation"},
    "certifies": {"en": "This certifies that", "es": "Se certifica que",
                  "pt": "Certificamos que", "fr": "Nous attestons que"},
    "took_part": {"en": "took part in the program", "es": "participó en el programa",
                  "pt": "participou do programa", "fr": "a participé au programme"},
    "hours": {"en": "Total hours", "es": "Horas en total", "pt": "Total de horas",
              "fr": "Heures au total"},
    "sessions": {"en": "Sessions attended", "es": "Sesiones a las que asistió",
                 "pt": "Sessões frequentadas", "fr": "Séances suivies"},
    "learning": {"en": "Learning completed", "es": "Aprendizaje completado",
                 "pt": "Aprendizagem concluída", "fr": "Apprentissages terminés"},
    "verify": {"en": "Verification code", "es": "Código de verificación",
               "pt": "Código de verificação", "fr": "Code de vérification"},
    "at": {"en": "Check it at", "es": "Verifíquelo en", "pt": "Verifique em",
           "fr": "Vérifiez-le sur"},
    "minutes": {"en": "min", "es": "min", "pt": "min", "fr": "min"},
}


@dataclass(frozen=True)
class Line:
    day: str
    title: str
    minutes: float


@dataclass(frozen=True)
class Participation:
    name: str
    program: str
    hub: str
    sessions: list[Line]
    learning: list[Line]

    @property
    def hours(self) -> float:
        return round(sum(x.minutes for x in [*self.sessions, *self.learning]) / 60, 1)


@dataclass(frozen=True)
class Certificate:
    code: str
    pdf: bytes
    reference: str  # DocumentReference/ID
    hours: float


def participation(service: FhirService, role_id: str, program_id: str) -> Participation:
    """What the mentee did in the program, read under the caller's policy."""
    role = service.read("PractitionerRole", role_id).resource()
    program = service.read("HealthcareService", program_id).resource()
    ref = f"PractitionerRole/{role_id}"
    sessions = []
    for session in search_all(service, "Encounter", {
            "program": [f"HealthcareService/{program_id}"], "participant": [ref],
            "status": ["finished"]}):
        minutes = attendance_minutes(session).get(ref, 0.0)
        if minutes > 0:
            sessions.append(Line(_day(session), _topic(session), round(minutes)))
    learning = []
    for task in search_all(service, "Task", {"owner": [ref], "status": ["completed"],
                                             "code": [f"{PROGRAM_TASK}|{COMPLETION}"]}):
        focus = str((task.get("focus") or {}).get("reference") or "")
        doc = service.read("DocumentReference", local_id(focus, "DocumentReference")).resource()
        title = next((str(c["attachment"].get("title")) for c in doc.get("content") or []
                      if (c.get("attachment") or {}).get("title")), str(doc.get("description")))
        end = str((task.get("executionPeriod") or {}).get("end") or "")[:10]
        learning.append(Line(end, title, duration_minutes(doc)))
    return Participation(_name(service, role), str(program.get("name") or program_id),
                         str((program.get("providedBy") or {}).get("reference") or ""),
                         sorted(sessions, key=lambda x: x.day),
                         sorted(learning, key=lambda x: x.day))


def language_of(service: FhirService, role_id: str, asked: str | None) -> str:
    if asked is not None:
        if asked not in LANGUAGES:
            raise InvalidRequest(f"lang is one of {', '.join(LANGUAGES)}", "lang")
        return asked
    role = service.read("PractitionerRole", role_id).resource()
    who = str((role.get("practitioner") or {}).get("reference") or "")
    if not who.startswith("Practitioner/"):
        return "en"
    person = service.read("Practitioner", who.split("/", 1)[1]).resource()
    spoken = [c.get("code", "")[:2] for cc in person.get("communication") or []
              for c in cc.get("coding") or []]
    return next((code for code in spoken if code in LANGUAGES), "en")


def issue(service: FhirService, role_id: str, program_ref: str, lang: str | None) -> Certificate:
    """Build, store and return a certificate; 422 when the mentee took part in nothing."""
    program_id = local_id(program_ref, "HealthcareService")
    language = language_of(service, role_id, lang)
    done = participation(service, role_id, program_id)
    if not done.sessions and not done.learning:
        raise Unprocessable([error("business-rule", f"PractitionerRole/{role_id} took part in "
                                   f"nothing of HealthcareService/{program_id}")])
    code = "-".join(secrets.token_hex(2).upper() for _ in range(4))
    root = service.ctx.base_url.removesuffix("/fhir")
    pdf = render(done, language, code, f"{root}/verify/{code}")
    outcome = service.create(_document(done, role_id, program_id, code, pdf, language),
                             res_type="DocumentReference")
    return Certificate(code, pdf, outcome.stored.reference, done.hours)


def verify(service: FhirService, code: str) -> dict[str, Any]:
    """Only validity, name and hours, for anyone; NotFound for an unknown or revoked code."""
    for doc in search_all(service, "DocumentReference",
                          {"identifier": [f"{CERTIFICATE_SYSTEM}|{code}"]}):
        if doc.get("status") == "current":
            hours = next((e.get("valueDecimal") for e in doc.get("extension") or []
                          if e.get("url") == HOURS_EXT), None)
            return {"valid": True, "name": doc.get("description"), "hours": hours}
    raise NotFound("No valid certificate has this verification code")


def render(done: Participation, lang: str, code: str, url: str) -> bytes:
    """The certificate as PDF (core fonts: text outside Latin-1 is replaced). fpdf2 is imported
    here: a worker or command that renders no certificate never loads it."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(WORDS["title"][lang])
    pdf.add_page()
    pdf.set_font("helvetica", "B", 22)
    pdf.cell(0, 16, _latin(WORDS["title"][lang]), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 12)
    for text, size, style in ((WORDS["certifies"][lang], 12, ""), (done.name, 18, "B"),
                              (WORDS["took_part"][lang], 12, ""), (done.program, 14, "B")):
        pdf.set_font("helvetica", style, size)
        pdf.cell(0, 10, _latin(text), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "B", 12)
    pdf.cell(0, 12, _latin(f"{WORDS['hours'][lang]}: {done.hours:g}"), align="C",
             new_x="LMARGIN", new_y="NEXT")
    for heading, lines in (("sessions", done.sessions), ("learning", done.learning)):
        if lines:
            pdf.set_font("helvetica", "B", 11)
            pdf.cell(0, 9, _latin(WORDS[heading][lang]), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("helvetica", "", 10)
            for line in lines:
                pdf.cell(0, 6, _latin(f"{line.day}   {line.title}   {line.minutes:g} "
                                      f"{WORDS['minutes'][lang]}"), new_x="LMARGIN",
                         new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("helvetica", "", 10)
    pdf.cell(0, 6, _latin(f"{WORDS['verify'][lang]}: {code}"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, _latin(f"{WORDS['at'][lang]}: {url}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _document(done: Participation, role_id: str, program_id: str, code: str, pdf: bytes,
              lang: str) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference", "status": "current",
        "identifier": [{"system": CERTIFICATE_SYSTEM, "value": code}],
        "type": {"coding": [dict(CERTIFICATE_TYPE)]},
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "custodian": {"reference": done.hub}, "description": done.name,
        "extension": [{"url": HOURS_EXT, "valueDecimal": done.hours}],
        "context": {"related": [{"reference": f"HealthcareService/{program_id}"},
                                {"reference": f"PractitionerRole/{role_id}"}]},
        "content": [{"attachment": {"contentType": "application/pdf", "language": lang,
                                    "data": base64.b64encode(pdf).decode(),
                                    "title": f"{WORDS['title'][lang]} {code}"}}]}


def _name(service: FhirService, role: dict[str, Any]) -> str:
    ref = (role.get("practitioner") or {})
    if str(ref.get("reference") or "").startswith("Practitioner/"):
        person = service.read("Practitioner", ref["reference"].split("/", 1)[1]).resource()
        for name in person.get("name") or []:
            parts = [*name.get("given", []), name.get("family", "")]
            if any(parts):
                return " ".join(p for p in parts if p)
    return str(ref.get("display") or "")


def _day(session: dict[str, Any]) -> str:
    start = (session.get("period") or {}).get("start")
    return parse_instant(start).date().isoformat() if isinstance(start, str) else ""


def _topic(session: dict[str, Any]) -> str:
    for concept in session.get("type") or []:
        text = concept.get("text") or next((c.get("display") for c in concept.get("coding") or []
                                            if c.get("display")), None)
        if text:
            return str(text)
    return ""


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")
