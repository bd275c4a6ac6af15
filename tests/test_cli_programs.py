"""``registry calendar`` and ``registry programs`` on the test database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from tests.conftest import Fhir
from tests.learning import participation_network
from tests.programs import program_network


@pytest.fixture
def refs(fhir: Fhir) -> dict[str, Any]:
    return program_network(fhir)


def run(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def test_schedule_then_progress_and_needs(app: Flask, fhir: Fhir, refs: dict[str, Any]) -> None:
    result = run(app, "programs", "schedule", "--cohort", refs["cohort"], "--rrule",
                 "FREQ=WEEKLY;INTERVAL=2;COUNT=3", "--start", "2027-05-04T10:00:00",
                 "--timezone", "America/Lima")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split("\t")[1] for line in lines] == [
        "2027-05-04T10:00:00-05:00", "2027-05-18T10:00:00-05:00", "2027-06-01T10:00:00-05:00"]
    assert lines[0].split("\t")[2] == "Buprenorphine induction"
    figures = json.loads(run(app, "programs", "progress", "--cohort", refs["cohort"]).output)
    assert {"name": "sessions-planned", "valueInteger": 3} in figures["parameter"]
    summary = json.loads(run(app, "programs", "needs", "--cohort", refs["cohort"]).output)
    assert {"name": "members", "valueInteger": 3} in summary["parameter"]


def test_bad_input_is_one_line_and_writes_nothing(app: Flask, fhir: Fhir,
                                                  refs: dict[str, Any]) -> None:
    result = run(app, "programs", "schedule", "--cohort", refs["cohort"], "--rrule",
                 "FREQ=WEEKLY", "--start", "2027-05-04T10:00:00", "--timezone", "America/Lima")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "COUNT or UNTIL" in result.output
    assert fhir.ids(f"Encounter?cohort={refs['cohort']}") == []
    missing = run(app, "calendar", "rotate-key", "--program", "Group/x")
    assert missing.exit_code == 1 and "HealthcareService/ID" in missing.output


def test_rotate_key_changes_the_links(app: Flask, fhir: Fhir, refs: dict[str, Any]) -> None:
    before = run(app, "calendar", "links", "--program", refs["program"]).output
    rotated = run(app, "calendar", "rotate-key", "--program", refs["program"])
    assert rotated.exit_code == 0, rotated.output
    assert len(rotated.output.splitlines()) == 2  # the program and its one cohort
    assert set(before.splitlines()).isdisjoint(rotated.output.splitlines())
    key = rotated.output.splitlines()[0].split("key=")[1]
    path = f"/calendar/program/{refs['program'].split('/')[1]}.ics?key={key}"
    assert app.test_client().get(path).status_code == 200


def test_certificate_issue_and_verify(app: Flask, fhir: Fhir, tmp_path: Any) -> None:
    found = participation_network(fhir)
    target = tmp_path / "certificate.pdf"
    result = run(app, "certificate", "issue", "--mentee", found["presenter"], "--program",
                 found["program"], "--lang", "es", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF")
    code = result.output.split("\t")[0].strip().splitlines()[-1]
    verified = run(app, "certificate", "verify", code)
    assert verified.output == "valid\tAna Pérez\t2.5 h\n"
    assert run(app, "certificate", "verify", "nope").exit_code == 1
