"""The detailed report renders in HTML and PDF, in the language asked, with its figures."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.conftest import Fhir
from tests.services.evaluations.test_analysis import load


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("Evaluation report", "Matched pairs", "Knowledge test: substance use disorders")),
    ("es", ("Informe de evaluación", "Pares emparejados", "Prueba de conocimientos")),
    ("pt", ("Relatório de avaliação", "Pares pareados", "Teste de conhecimentos")),
    ("fr", ("Rapport d'évaluation", "Paires appariées", "Test de connaissances")),
])
def test_the_html_report_is_in_the_language_asked(fhir: Fhir, lang: str,
                                                  words: tuple[str, ...]) -> None:
    net = load(fhir)
    program_id = net["program"].split("/")[1]
    answer = fhir.get(f"HealthcareService/{program_id}/$evaluation-report?format=html"
                      f"&lang={lang}", headers={"Accept": "text/html"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.content_type.startswith("text/html")
    text = answer.get_data(as_text=True)
    for word in words:
        assert word.replace("'", "&#x27;") in text
    assert "<svg" in text and "<script" not in text and "http://" not in text.split("<svg")[0]
    assert "12" in text  # matched pairs


def test_the_pdf_report_holds_the_figures(fhir: Fhir) -> None:
    net = load(fhir)
    program_id = net["program"].split("/")[1]
    answer = fhir.get(f"HealthcareService/{program_id}/$evaluation-report?format=pdf&lang=es")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.content_type == "application/pdf"
    reader = PdfReader(io.BytesIO(answer.data))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Informe de evaluación" in text
    assert "Pares emparejados" in text and "McNemar" in text
    assert "<11 (suprimido)" in text


def test_the_program_language_is_the_default(fhir: Fhir) -> None:
    net = load(fhir, mentees=2)  # the factory's program speaks Spanish
    program_id = net["program"].split("/")[1]
    answer = fhir.get(f"HealthcareService/{program_id}/$evaluation-report",
                      headers={"Accept": "text/html"})
    assert "Informe de evaluación" in answer.get_data(as_text=True)


@pytest.mark.parametrize("query", ["format=docx", "lang=de"])
def test_bad_options_are_400(fhir: Fhir, query: str) -> None:
    net = load(fhir, mentees=2)
    program_id = net["program"].split("/")[1]
    answer = fhir.get(f"HealthcareService/{program_id}/$evaluation-report?{query}")
    assert answer.status_code == 400
    assert answer.json["resourceType"] == "OperationOutcome"
