"""Demo evaluations: deterministic, with attrition and non-improvers, and a full report."""

from __future__ import annotations

from flask import Flask

from registry.services.demo import generate_network
from registry.services.evaluations.demo import generate_evaluations
from registry.services.loading import LoadReport, batches, load_batch
from tests.conftest import Fhir, system_service

SCALE = 0.15


def _network() -> list[dict]:
    return list(generate_network(seed=2026, scale=SCALE))


def test_the_same_seed_gives_the_same_responses() -> None:
    network = _network()
    programs = [r for r in network if r["resourceType"] == "HealthcareService"]
    roles = [r for r in network if r["resourceType"] == "PractitionerRole"]
    first = list(generate_evaluations(programs, roles, seed=3))
    assert first == list(generate_evaluations(programs, roles, seed=3))
    assert first != list(generate_evaluations(programs, roles, seed=4))
    responses = [r for r in first if r["resourceType"] == "QuestionnaireResponse"]
    pre = {(r["questionnaire"], r["author"]["reference"]) for r in responses
           if r["extension"][-1]["valueCoding"]["code"] == "pre"}
    post = {(r["questionnaire"], r["author"]["reference"]) for r in responses
            if r["extension"][-1]["valueCoding"]["code"] == "post"}
    assert pre - post, "some mentees leave before the post-evaluation"


def test_the_demo_gives_a_full_report(app: Flask, fhir: Fhir) -> None:
    with system_service(app) as service:
        for chunk in batches(_network(), 500):
            load_batch(service, chunk, LoadReport())
    result = app.test_cli_runner().invoke(args=["evaluation", "demo"])
    assert result.exit_code == 0, result.output
    again = app.test_cli_runner().invoke(args=["evaluation", "demo"])
    assert ": 0 written," in again.output
    program = next(e["resource"] for e in fhir.search(
        "HealthcareService?topic=substance-use-disorders")["entry"])
    analysis = fhir.get(f"HealthcareService/{program['id']}/$evaluation-analysis")
    assert analysis.status_code == 200
    names = {p["name"] for p in analysis.json["parameter"]}
    assert {"menteesPre", "menteesPost", "instruments", "mooreLevels"} <= names
    report = app.test_cli_runner().invoke(args=[
        "report", "evaluation", "--program", f"HealthcareService/{program['id']}",
        "--format", "html", "--lang", "pt"])
    assert report.exit_code == 0
    assert "Relatório de avaliação" in report.output and "<svg" in report.output
