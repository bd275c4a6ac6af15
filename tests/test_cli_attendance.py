"""``registry attendance import``: summary on success; one line, exit 1, nothing written on
a broken file."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.casework import network
from tests.conftest import DATA, Fhir

REPORTS = DATA / "attendance"


@pytest.fixture
def refs(fhir: Fhir) -> dict[str, str]:
    return network(fhir)


def invoke(app: Flask, name: str, *options: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["attendance", "import", str(REPORTS / name),
                                              *options])


def test_import_prints_what_matched(app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    result = invoke(app, "zoom_with_summary.csv", "--session", refs["session"],
                    "--timezone", "America/Sao_Paulo", "--create-unknown")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"{refs['session']}: zoom report, 5 attendees"
    assert any(line.startswith("matched") and refs["presenter"] in line for line in lines)
    assert any(line.startswith("created") and "João Gonçalves" in line for line in lines)
    assert lines[-1].startswith("2 matched, 1 created, 2 unmatched;")
    again = invoke(app, "zoom_with_summary.csv", "--session", refs["session"],
                   "--timezone", "America/Sao_Paulo", "--create-unknown")
    assert again.output.splitlines()[-1].endswith("session unchanged")


@pytest.mark.parametrize(("name", "message"), [
    ("broken_zoom_missing_column.csv", "row 4: missing required column 'Leave Time'"),
    ("broken_zoom_bad_date.csv", "row 4: join time 'hoy 2:10 PM' is not a date"),
    ("broken_teams_leave_before_join.csv", "row 14: leave time 10:05 is before join time"),
    ("broken_empty.csv", "the file is empty"),
    ("broken_not_a_report.txt", "no Zoom or Teams participant table found"),
    ("broken_binary_garbage.bin", "the file is not text"),
])
def test_broken_files_fail_in_one_line_and_write_nothing(
        app: Flask, fhir: Fhir, refs: dict[str, str], name: str, message: str) -> None:
    before = fhir.get(refs["session"]).json["meta"]["versionId"]
    result = invoke(app, name, "--session", refs["session"], "--create-unknown")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and message in result.output
    assert result.output.startswith(f"Error: {name}: ")
    assert fhir.get(refs["session"]).json["meta"]["versionId"] == before
    assert fhir.search("Practitioner?_summary=count")["total"] == 2


def test_unknown_session_and_bad_options(app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    missing = invoke(app, "zoom_table_only.csv", "--session", "Encounter/nope")
    assert missing.exit_code == 1 and "Session Encounter/nope is not known" in missing.output
    not_a_session = invoke(app, "zoom_table_only.csv", "--session", refs["hub"])
    assert not_a_session.exit_code == 1 and "Encounter/ID" in not_a_session.output
    zone = invoke(app, "zoom_table_only.csv", "--session", refs["session"],
                  "--timezone", "Mars/Olympus")
    assert zone.exit_code == 1 and zone.output.count("\n") == 1


def test_a_report_without_a_zone_needs_one(app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    before = fhir.get(refs["session"]).json["meta"]["versionId"]
    result = invoke(app, "zoom_with_summary.csv", "--session", refs["session"])
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "carry no time zone" in result.output and "--timezone" in result.output
    assert fhir.get(refs["session"]).json["meta"]["versionId"] == before
    short = invoke(app, "zoom_with_summary.csv", "--session", refs["session"],
                   "--tz", "America/Sao_Paulo")
    assert short.exit_code == 0, short.output


def test_the_hub_organization_can_state_the_zone(app: Flask, fhir: Fhir,
                                                 refs: dict[str, str]) -> None:
    hub = fhir.get(refs["hub"]).json
    hub["extension"] = [*hub.get("extension", []), {
        "url": "http://hl7.org/fhir/StructureDefinition/timezone",
        "valueCode": "America/Sao_Paulo"}]
    assert fhir.put(refs["hub"], hub).status_code == 200
    result = invoke(app, "zoom_with_summary.csv", "--session", refs["session"])
    assert result.exit_code == 0, result.output


def test_a_report_of_another_day_needs_other_day(app: Flask, fhir: Fhir,
                                                 refs: dict[str, str]) -> None:
    before = fhir.get(refs["session"]).json["meta"]["versionId"]
    options = ("--session", refs["session"], "--timezone", "America/Sao_Paulo")
    refused = invoke(app, "teams_legacy.csv", *options)
    assert refused.exit_code == 1 and refused.output.count("\n") == 1
    assert "--other-day" in refused.output and "2026-11-05" in refused.output
    assert fhir.get(refs["session"]).json["meta"]["versionId"] == before
    assert invoke(app, "teams_legacy.csv", *options, "--other-day").exit_code == 0
