"""The simple case form, turned into the document Bundle the FHIR path takes.

The form carries what the ECHO case form asks for; everything identifying (the local patient
reference, the birth date, free text that names people) goes into the Bundle as the spoke would
send it, because de-identification runs on the Bundle, in one place, for both paths.

Sections are coded in the registry's case-section system; the Composition type is LOINC
11488-4 (consult note). The ``urn:uuid`` fullUrls are derived from the form's content, so the
same form sent twice maps to the same pseudonymous ids (and is refused as a duplicate), while two
different presentations of a patient on the same day stay apart.
"""

from __future__ import annotations

import html
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

BASE = "https://telementoring.example.org/fhir"
SECTION_SYSTEM = f"{BASE}/CodeSystem/case-section"
LOCAL_PATIENT = f"{BASE}/sid/spoke-patient"
XHTML = "http://www.w3.org/1999/xhtml"
CODE_SYSTEMS = {"snomed": "http://snomed.info/sct", "icd-10": "http://hl7.org/fhir/sid/icd-10"}
# (form field, section code, title): the order of the ECHO case form.
SECTIONS = (
    ("presenting_problem", "presenting-problem", "Presenting problem"),
    ("history", "history", "History"),
    ("substance_use", "substance-use", "Substance use and treatment history"),
    ("medications", "medications", "Current medications"),
    ("psychosocial_context", "psychosocial", "Psychosocial context"),
    ("question", "question", "Question for the hub"),
)


def case_bundle(form: dict[str, Any], *, today: date | None = None) -> dict[str, Any]:
    """The document Bundle for a validated form (see ``schemas.case_form.CaseFormSchema``)."""
    urls = _Urls(form)
    patient = _patient(form, today or datetime.now(UTC).date())
    conditions = [_condition(c, urls.patient) for c in form.get("conditions") or []]
    medications = [_medication(m, urls.patient) for m in form.get("medications") or []]
    entries = [(urls.new(), r) for r in [*conditions, *medications]]
    composition = _composition(form, urls.patient, entries)
    return {"resourceType": "Bundle", "type": "document",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "entry": [{"fullUrl": urls.composition, "resource": composition},
                      {"fullUrl": urls.patient, "resource": patient},
                      *({"fullUrl": u, "resource": r} for u, r in entries)]}


class _Urls:
    """Name-based uuids (RFC 4122 version 5) over the form's content, one per entry."""

    def __init__(self, form: dict[str, Any]) -> None:
        self._seed = json.dumps(form, sort_keys=True, default=str)
        self._count = 0
        self.composition, self.patient = self.new(), self.new()

    def new(self) -> str:
        self._count += 1
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{self._count}:{self._seed}')}"


def _patient(form: dict[str, Any], today: date) -> dict[str, Any]:
    patient: dict[str, Any] = {"resourceType": "Patient", "identifier": [{
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                             "code": "MR"}]},
        "system": LOCAL_PATIENT, "value": form["patient_reference"]}]}
    if form.get("sex"):
        patient["gender"] = form["sex"]
    if form.get("birth_date"):
        patient["birthDate"] = form["birth_date"].isoformat()
    elif form.get("age") is not None:
        patient["birthDate"] = str(today.year - form["age"])
    address = {k: form[f] for k, f in (("country", "country"), ("state", "region"))
               if form.get(f)}
    if address:
        patient["address"] = [address]
    return patient


def _condition(item: dict[str, Any], subject: str) -> dict[str, Any]:
    coding = {"system": CODE_SYSTEMS[item["system"]], "code": item["code"]}
    if item.get("display"):
        coding["display"] = item["display"]
    return {"resourceType": "Condition", "subject": {"reference": subject},
            "clinicalStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "code": "active"}]},
            "code": {"coding": [coding]}}


def _medication(text: str, subject: str) -> dict[str, Any]:
    return {"resourceType": "MedicationStatement", "status": "active",
            "medicationCodeableConcept": {"text": text}, "subject": {"reference": subject}}


def _composition(form: dict[str, Any], subject: str,
                 entries: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    composition: dict[str, Any] = {
        "resourceType": "Composition", "status": "final",
        "type": {"coding": [{"system": "http://loinc.org", "code": "11488-4",
                             "display": "Consult note"}]},
        "subject": {"reference": subject},
        "encounter": {"reference": form["session"]},
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "author": [{"reference": form["presenter_role"]}],
        "title": "ECHO case presentation",
        "section": [s for s in (_section(form, *spec, entries) for spec in SECTIONS) if s]}
    if form.get("follow_up_of"):
        composition["relatesTo"] = [{"code": "appends",
                                     "targetReference": {"reference": form["follow_up_of"]}}]
    return composition


def _section(form: dict[str, Any], field: str, code: str, title: str,
             entries: list[tuple[str, dict[str, Any]]]) -> dict[str, Any] | None:
    value = form.get(field)
    paragraphs = value if isinstance(value, list) else [value] if value else []
    section: dict[str, Any] = {"title": title,
                               "code": {"coding": [{"system": SECTION_SYSTEM, "code": code}]}}
    if field == "history":
        section["entry"] = [{"reference": u} for u, r in entries
                            if r["resourceType"] == "Condition"]
    if field == "medications":
        section["entry"] = [{"reference": u} for u, r in entries
                            if r["resourceType"] == "MedicationStatement"]
    if not paragraphs and not section.get("entry"):
        return None
    if paragraphs:
        body = "".join(f"<p>{html.escape(str(p), quote=False)}</p>" for p in paragraphs)
        section["text"] = {"status": "generated", "div": f'<div xmlns="{XHTML}">{body}</div>'}
    if not section.get("entry"):
        section.pop("entry", None)
    return section
