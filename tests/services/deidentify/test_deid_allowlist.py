"""Structured case content by allow-list (#33): codes only of known clinical systems,
extensions only by known URL, ages over 89 capped wherever they are stated, references to
another host's directory masked."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from registry.services.deidentify import deidentify_case

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
LOCAL = "https://emr.lakeshore-clinic.example/codes"
PATIENT = "urn:uuid:9b0d0c1e-5a43-4a5e-8f3c-2a7b1c6d4e01"


def observation(n: int, **fields: Any) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:9b0d0c1e-5a43-4a5e-8f3c-2a7b1c6d4e{n:02d}",
            "resource": {"resourceType": "Observation", "id": f"o{n}", "status": "final",
                         "subject": {"reference": PATIENT}, **fields}}


def case(*entries: dict[str, Any], author: str = "Practitioner/tutor-3") -> dict[str, Any]:
    composition = {
        "resourceType": "Composition", "id": "c1", "status": "final",
        "type": {"coding": [{"system": LOINC, "code": "11488-4"}]}, "date": "2024-04-02",
        "author": [{"reference": author}], "title": "Consult", "subject": {"reference": PATIENT},
        "meta": {"tag": [{"system": LOCAL, "code": "CHART-55120-B"}]},
        "extension": [{"url": "https://emr.lakeshore-clinic.example/ext/bed",
                       "valueString": "bed 14, ward C"}],
    }
    return {"resourceType": "Bundle", "type": "document", "timestamp": "2024-04-02T10:00:00Z",
            "entry": [{"fullUrl": "urn:uuid:9b0d0c1e-5a43-4a5e-8f3c-2a7b1c6d4e00",
                       "resource": composition},
                      {"fullUrl": PATIENT, "resource": {"resourceType": "Patient", "id": "p1",
                                                        "gender": "female"}},
                      *entries]}


def run(bundle: dict[str, Any]) -> tuple[dict[str, Any], str]:
    out = deidentify_case(bundle, secret=b"k" * 32, spoke="Organization/spoke-2",
                          presented_at=date(2024, 4, 9)).bundle
    return out, json.dumps(out)


def resources(bundle: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == rtype]


def test_codes_of_unknown_systems_are_removed_and_their_display_kept_as_text() -> None:
    local = observation(2, code={"coding": [{"system": LOCAL, "code": "MRN-0041877",
                                             "display": "Timed up and go"}]},
                        valueQuantity={"value": 14, "unit": "s", "system": UCUM, "code": "s"})
    known = observation(3, code={"coding": [{"system": LOINC, "code": "4548-4"}]},
                        valueQuantity={"value": 7.9, "unit": "%", "system": UCUM, "code": "%"})
    out, text = run(case(local, known))
    assert "MRN-0041877" not in text and LOCAL not in text and "CHART-55120-B" not in text
    first, second = resources(out, "Observation")
    assert first["code"] == {"text": "Timed up and go"}
    assert second["code"]["coding"] == [{"system": LOINC, "code": "4548-4"}]
    assert second["valueQuantity"]["system"] == UCUM


def test_a_concept_left_empty_is_marked_masked() -> None:
    local = observation(2, code={"coding": [{"system": LOCAL, "code": "X-99812"}]},
                        valueInteger=3)
    out, _ = run(case(local))
    code = resources(out, "Observation")[0]["code"]
    assert code["extension"][0]["valueCode"] == "masked"


def test_unknown_extensions_are_removed() -> None:
    out, text = run(case())
    assert "bed 14" not in text
    assert "extension" not in resources(out, "Composition")[0]


def test_ages_over_89_are_capped_in_quantities_and_age_observations() -> None:
    in_years = observation(2, code={"coding": [{"system": LOINC, "code": "30525-0"}]},
                           valueQuantity={"value": 93, "unit": "a", "system": UCUM,
                                          "code": "a"})
    local_age = observation(3, code={"coding": [{"system": LOCAL, "code": "AGE",
                                                 "display": "Edad en años"}]},
                            valueInteger=97)
    score = observation(4, code={"coding": [{"system": LOINC, "code": "96761-2",
                                             "display": "Total score Barthel"}]},
                        valueInteger=95)
    out, _ = run(case(in_years, local_age, score))
    years, local, barthel = resources(out, "Observation")
    assert years["valueQuantity"]["value"] == 90
    assert years["valueQuantity"]["comparator"] == ">="
    assert local["valueInteger"] == 90
    assert barthel["valueInteger"] == 95  # a score is not an age


def test_a_directory_reference_on_another_host_is_masked() -> None:
    out, text = run(case(author="https://ehr.lakeshore-clinic.example/fhir/Practitioner/dr-88"))
    assert "lakeshore" not in text
    assert "reference" not in resources(out, "Composition")[0]["author"][0]


def test_a_directory_reference_of_this_network_is_kept() -> None:
    out, _ = run(case())
    assert resources(out, "Composition")[0]["author"][0]["reference"] == "Practitioner/tutor-3"


def test_deidentifying_twice_changes_nothing_more() -> None:
    age = observation(2, code={"coding": [{"system": LOINC, "code": "30525-0"}]},
                      valueQuantity={"value": 101, "unit": "a", "system": UCUM, "code": "a"})
    out, _ = run(case(age))
    again, _ = run(out)
    assert again == out


def test_the_patients_own_values_are_removed_from_the_narratives() -> None:
    bundle = case()
    bundle["entry"][1]["resource"].update({
        "name": [{"family": "Thistlewood", "given": ["Marguerite"]}],
        "address": [{"city": "Brackenridge", "country": "US"}], "birthDate": "1929-02-11"})
    bundle["entry"][0]["resource"]["section"] = [{"title": "History", "text": {
        "status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>'
        "thistlewood (95) was found at home in Brackenridge; Thistlewood's daughter "
        "called. Cushing syndrome excluded.</p></div>"}}]
    out, text = run(bundle)
    assert "istlewood" not in text and "Brackenridge" not in text and "(95)" not in text
    assert "Cushing syndrome excluded" in text
