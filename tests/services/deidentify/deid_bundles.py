"""Synthetic case-presentation Bundles with identifiers planted in every structured field.

``make_case(profile)`` returns the Bundle and the list of planted strings that must not
survive de-identification anywhere in the output. Profiles differ in language and country so
that names, numbers and addresses of several formats are exercised. All data is invented.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

XHTML = 'xmlns="http://www.w3.org/1999/xhtml"'
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"


@dataclass(frozen=True)
class Profile:
    key: str
    lang: str
    given: tuple[str, ...]
    family: str
    mrn: str
    national_system: str
    national_id: str
    phone: str
    relative_phone: str
    email: str
    line: str
    city: str
    district: str
    state: str
    postal: str
    country: str
    birth: str
    relative: str
    clinician: str
    license: str
    nickname: str
    facility: str
    web: str
    ip: str


PROFILES = {
    "pe": Profile("pe", "es", ("Rosa", "Elena"), "Quispe Mamani", "HC-4471203",
                  "urn:oid:2.16.604.100.1", "45871236", "+51 987 654 321", "+51 912 345 678",
                  "rosa.quispe@correo.pe", "Jr. Los Olivos 482", "Villa El Salvador",
                  "Lima Sur", "Lima", "15831", "PE", "1961-04-17", "Pedro Quispe Huamán",
                  "Carmen Villanueva Rojas", "CMP 045678", "la Chola", "Posta Santa Rosita",
                  "https://www.facebook.com/rosa.quispe.61", "190.43.12.77"),
    "br": Profile("br", "pt", ("Thaís", "Aparecida"), "Bezerra Quintanilha", "PR-0098231",
                  "http://rnds.saude.gov.br/fhir/sid/cpf", "529.982.247-25", "(21) 98765-4321",
                  "(21) 3344-5566", "thais.bq@gmail.com", "Rua das Acácias, 155, apto 302",
                  "Duque de Caxias", "Jardim Primavera", "RJ", "25215-260", "BR", "1987-09-30",
                  "Marcos Bezerra", "Luiz Fernando Tavares", "CRM-RJ 52-123456-7", "Tatá",
                  "UBS Jardim Primavera", "instagram.com/thais.quintanilha", "177.92.3.154"),
    "us": Profile("us", "en", ("Wendell", "J."), "Fairbrother", "MRN 00482913",
                  "http://hl7.org/fhir/sid/us-ssn", "219-09-9999", "(617) 555-0142",
                  "617-555-0199", "wendell.fb@example.com", "48 Cedar Hill Road, Apt 3",
                  "Dorchester", "Suffolk", "MA", "02124", "US", "1932-02-11",
                  "Darlene Fairbrother", "Priya Natarajan", "NPI 1234567893", "Dell",
                  "Codman Square Health Center", "www.wendellfb-art.com", "10.24.31.201"),
}


def _div(*paragraphs: str) -> dict[str, str]:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return {"status": "generated", "div": f"<div {XHTML}>{body}</div>"}


def _patient(p: Profile) -> dict[str, Any]:
    full = " ".join([*p.given, p.family])
    return {
        "resourceType": "Patient", "id": f"pat-{p.family.split()[0].lower()}",
        "meta": {"lastUpdated": "2024-05-06T09:12:44Z", "source": "http://ehr.local/abc"},
        "text": _div(f"{full}, {p.national_id}"),
        "identifier": [
            {"type": {"coding": [{"code": "MR"}]}, "system": "urn:local:mrn", "value": p.mrn},
            {"system": p.national_system, "value": p.national_id},
        ],
        "active": True,
        "name": [{"use": "official", "text": full, "family": p.family, "given": list(p.given)},
                 {"use": "nickname", "given": [p.nickname]}],
        "telecom": [{"system": "phone", "value": p.phone}, {"system": "email", "value": p.email}],
        "gender": "female" if p.key != "us" else "male",
        "birthDate": p.birth,
        "address": [{"use": "home", "line": [p.line], "city": p.city, "district": p.district,
                     "state": p.state, "postalCode": p.postal, "country": p.country,
                     "text": f"{p.line}, {p.city}"}],
        "maritalStatus": {"text": "married"},
        "photo": [{"contentType": "image/jpeg", "title": f"photo of {p.given[0]}"}],
        "contact": [{"name": {"text": p.relative},
                     "telecom": [{"system": "phone", "value": p.relative_phone}]}],
        "communication": [{"language": {"coding": [{"code": p.lang}]}}],
        "generalPractitioner": [{"reference": "Practitioner/7781", "display": p.clinician}],
        "managingOrganization": {"display": p.facility},
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName",
                       "valueString": p.relative}],
    }


def _composition(p: Profile) -> dict[str, Any]:
    full = " ".join([*p.given, p.family])
    narrative = {
        "es": [f"Paciente {full}, DNI {p.national_id}, {p.mrn}, vive en {p.city}, {p.line}.",
               f"Teléfono {p.phone}; correo {p.email}; web {p.web}; IP {p.ip}.",
               "Trastorno por consumo de opioides; buprenorfina 16 mg diarios; PHQ-9 de 18.",
               f"Ingresó el 30/04/2024 y su hijo {p.relative} la acompaña "
               f"(tel {p.relative_phone})."],
        "pt": [f"Paciente {full}, CPF {p.national_id}, {p.mrn}, mora em {p.city}, {p.line}.",
               f"Telefone {p.phone}; e-mail {p.email}; {p.web}; IP {p.ip}.",
               "Transtorno por uso de opioides; metadona 80 mg; CD4 350 células/mm3.",
               f"Internada em 30/04/2024; o irmão {p.relative} acompanha ({p.relative_phone})."],
        "en": [f"Patient {full}, SSN {p.national_id}, {p.mrn}, lives in {p.city}, {p.line}.",
               f"Phone {p.phone}; email {p.email}; {p.web}; IP {p.ip}.",
               "Opioid use disorder on buprenorphine 16 mg daily; PHQ-9 of 18.",
               f"Admitted on 04/30/2024; his wife {p.relative} ({p.relative_phone}) attends."],
    }[p.lang]
    return {
        "resourceType": "Composition", "id": "comp-1",
        "identifier": {"system": "urn:local:case", "value": f"CASE-{p.mrn}"},
        "status": "final",
        "type": {"coding": [{"system": LOINC, "code": "11488-4"}], "text": "Case presentation"},
        "subject": {"reference": "Patient/" + _patient(p)["id"], "display": full},
        "date": "2024-05-06T14:32:00-05:00",
        "author": [{"reference": "Practitioner/7781", "display": f"Dr. {p.clinician}"}],
        "title": f"Case of {full}, known as {p.nickname}",
        "attester": [{"mode": "professional", "time": "2024-05-06",
                      "party": {"display": p.clinician}}],
        "section": [
            {"title": "Presenting problem", "text": _div(*narrative[:2])},
            {"title": "History", "text": _div(*narrative[2:]),
             "entry": [{"reference": "Condition/c1"}, {"reference": "Observation/o1"}]},
            {"title": "Current medications", "entry": [{"reference": "MedicationStatement/m1"}],
             "text": _div("buprenorphine 16 mg daily")},
            {"title": "Question for the hub",
             "text": _div(f"How should we taper? Contact {p.email} or {p.phone}.")},
        ],
    }


def _clinical(p: Profile) -> list[dict[str, Any]]:
    subject = {"reference": "Patient/" + _patient(p)["id"]}
    return [
        {"resourceType": "Condition", "id": "c1",
         "identifier": [{"system": "urn:local:problem", "value": f"PRB-{p.mrn}"}],
         "code": {"coding": [{"system": SNOMED, "code": "5602001"}],
                  "text": "Opioid use disorder"},
         "subject": subject, "onsetDateTime": "2019-08-02", "recordedDate": "2024-04-30",
         "onsetAge": None,
         "note": [{"authorString": p.clinician, "time": "2024-04-30T10:00:00Z",
                   "text": f"Confirmed with {p.given[0]} {p.family}; call {p.phone}."}]},
        {"resourceType": "Observation", "id": "o1", "status": "final",
         "code": {"coding": [{"system": LOINC, "code": "44261-6"}], "text": "PHQ-9"},
         "subject": subject, "effectiveDateTime": "2024-04-28",
         "issued": "2024-04-28T16:20:00Z", "valueInteger": 18,
         "performer": [{"display": f"Lic. {p.relative}"}],
         "note": [{"text": f"Scored with the patient (alias {p.nickname}) at {p.facility}"}]},
        {"resourceType": "Observation", "id": "o2", "status": "final",
         "code": {"text": "CD4 count"}, "subject": subject,
         "effectivePeriod": {"start": "2024-03-02", "end": "2024-03-03"},
         "valueString": f"CD4 350 cells/mm3; results sent to {p.email} ({p.mrn})"},
        {"resourceType": "Observation", "id": "o3", "status": "final",
         "code": {"text": "Age at first use"}, "subject": subject,
         "valueQuantity": {"value": 93, "unit": "years", "system": "http://unitsofmeasure.org",
                           "code": "a"}},
        {"resourceType": "MedicationStatement", "id": "m1", "status": "active",
         "medicationCodeableConcept": {"text": "buprenorphine 16 mg daily"},
         "subject": subject,
         "effectivePeriod": {"start": "2023-11-15", "end": "2024-05-01"},
         "dateAsserted": "2024-05-01",
         "informationSource": {"display": f"daughter {p.relative}"},
         "dosage": [{"text": "buprenorphine 16 mg daily",
                     "timing": {"event": ["2024-05-01T08:00:00Z"]}}],
         "note": [{"text": f"Picked up at {p.facility} by {p.relative}"}]},
        {"resourceType": "FamilyMemberHistory", "id": "f1", "status": "completed",
         "patient": subject, "relationship": {"text": "mother"},
         "name": p.relative, "bornDate": "1940-01-05",
         "condition": [{"code": {"text": "alcohol use disorder"},
                        "onsetAge": {"value": 95, "unit": "years",
                                     "system": "http://unitsofmeasure.org", "code": "a"}}]},
        {"resourceType": "Practitioner", "id": "pr1",
         "identifier": [{"system": "urn:license", "value": p.license}],
         "name": [{"text": p.clinician}], "telecom": [{"system": "phone", "value": p.phone}],
         "qualification": [{"code": {"text": "Family physician"}}]},
        {"resourceType": "DocumentReference", "id": "d1", "status": "current",
         "subject": subject, "date": "2024-05-02T11:00:00Z",
         "description": f"Referral letter for {p.given[0]} {p.family}",
         "content": [{"attachment": {"contentType": "application/pdf",
                                     "title": f"referral-{p.family}.pdf"}}]},
    ]


def make_case(key: str) -> tuple[dict[str, Any], list[str]]:
    """A case Bundle for profile ``key`` and the strings planted in it."""
    p = PROFILES[key]
    resources = [_composition(p), _patient(p), *_clinical(p)]
    for r in resources:
        r.pop("onsetAge", None) if r.get("onsetAge") is None else None
    entries = [{"fullUrl": f"http://ehr.local/fhir/{r['resourceType']}/{r['id']}", "resource": r}
               for r in resources]
    bundle = {"resourceType": "Bundle", "id": f"case-{p.mrn}",
              "meta": {"lastUpdated": "2024-05-06T14:33:00Z"},
              "identifier": {"system": "urn:local:bundle", "value": f"B-{p.mrn}"},
              "type": "document", "timestamp": "2024-05-06T14:33:00Z", "entry": entries}
    return copy.deepcopy(bundle), planted(p)


def planted(p: Profile) -> list[str]:
    full_dates = ["2024-05-06T14:32", "2024-04-30", "2024-04-28", "2023-11-15", "2024-05-01",
                  "2024-03-02", "2024-05-02", "2019-08-02", "1940-01-05", "30/04/2024",
                  "04/30/2024", p.birth]
    people = [*p.given, *p.family.split(), p.relative, *p.relative.split(), p.clinician,
              *p.clinician.split(), p.nickname]
    return sorted({*people, p.mrn, p.national_id, p.phone, p.relative_phone, p.email, p.line,
                   p.city, p.district, p.postal, p.license, p.facility, p.web, p.ip,
                   "ehr.local", *full_dates} - {"J."})
