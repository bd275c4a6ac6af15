"""Attendance import on real-looking Zoom and Teams reports, through the store, both databases."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from adapters.attendance import read_report
from registry.errors import Unprocessable
from registry.services.attendance import ImportSummary, fold, import_attendance
from registry.services.sessions import attendance_minutes, participant_hours
from tests import factories as f
from tests.casework import network, person, session
from tests.conftest import DATA, Fhir, system_service

REPORTS = DATA / "attendance"
ZONE = "America/Sao_Paulo"


@pytest.fixture
def refs(fhir: Fhir) -> dict[str, str]:
    return network(fhir)


def run_import(app: Flask, name: str, session: str, **options: Any) -> ImportSummary:
    """Import a report; the fixtures are of several days, the session of one (5 November)."""
    path: Path = REPORTS / name
    report = read_report(path.read_bytes(), timezone=ZONE, filename=path.name)
    options = {"zone": ZoneInfo(ZONE), "other_day": name != "zoom_with_summary.csv", **options}
    with system_service(app, name="attendance-import") as service:
        return import_attendance(service, report, session, **options)


def by_status(summary: ImportSummary) -> dict[str, set[str]]:
    return {status: {a.name for a in summary.of(status)}
            for status in ("matched", "created", "unmatched")}


def attendance(fhir: Fhir, session: str) -> list[dict[str, Any]]:
    return [p for p in fhir.get(session).json["participant"] if "period" in p]


def test_zoom_report_matches_by_email_and_reports_the_unknown(app: Flask, fhir: Fhir,
                                                             refs: dict[str, str]) -> None:
    summary = run_import(app, "zoom_with_summary.csv", refs["session"])
    assert by_status(summary) == {
        "matched": {"Dra. Lucía Fernández", "Ana Pérez"}, "created": set(),
        "unmatched": {"João Gonçalves", "María José Núñez", "Sebastián Muñoz"}}
    assert summary.written
    reasons = {a.name: a.reason for a in summary.of("unmatched")}
    assert reasons["João Gonçalves"] == "no practitioner with e-mail joao.goncalves@example.org"
    assert reasons["María José Núñez"] == "no e-mail in the report"
    session = fhir.get(refs["session"]).json
    planned = [p for p in session["participant"] if "period" not in p]
    assert planned == [{"type": [{"coding": [{"system": f.ROLE, "code": "tutor"}]}],
                        "individual": {"reference": refs["tutor"]}}]
    ana = [p for p in attendance(fhir, refs["session"])
           if p["individual"]["reference"] == refs["presenter"]]
    assert len(ana) == 2  # left and rejoined: two entries, one period each
    assert {p["type"][0]["coding"][0]["code"] for p in ana} == {"presenter"}
    minutes = attendance_minutes(session)
    assert minutes[refs["presenter"]] == pytest.approx(summary.of("matched")[1].minutes)
    assert participant_hours(session) == pytest.approx(summary.minutes / 60)
    assert fhir.ids(f"Encounter?participant={refs['presenter']}") == [
        refs["session"].split("/")[1]]


def test_unknown_attendees_become_mentees_of_their_spoke(app: Flask, fhir: Fhir,
                                                         refs: dict[str, str]) -> None:
    summary = run_import(app, "zoom_with_summary.csv", refs["session"], create_unknown=True)
    assert by_status(summary)["created"] == {"João Gonçalves"}
    assert by_status(summary)["unmatched"] == {"María José Núñez", "Sebastián Muñoz"}
    assert "no spoke named 'Hospital Regional de Temuco' in the directory" in {
        a.reason for a in summary.of("unmatched")}
    joao = fhir.search("Practitioner?email=joao.goncalves@example.org")["entry"][0]["resource"]
    role = fhir.search(f"PractitionerRole?practitioner=Practitioner/{joao['id']}")
    role = role["entry"][0]["resource"]
    assert role["organization"] == {"reference": refs["other_spoke"]}
    assert role["code"][0]["coding"][0]["code"] == "mentee"
    assert summary.of("created")[0].individual == f"PractitionerRole/{role['id']}"


def test_import_is_idempotent(app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    first = run_import(app, "zoom_with_summary.csv", refs["session"], create_unknown=True)
    version = fhir.get(refs["session"]).json["meta"]["versionId"]
    people = fhir.search("Practitioner?_summary=count")["total"]
    again = run_import(app, "zoom_with_summary.csv", refs["session"], create_unknown=True)
    assert not again.written
    assert by_status(again)["matched"] == by_status(first)["matched"] | {"João Gonçalves"}
    assert fhir.get(refs["session"]).json["meta"]["versionId"] == version
    assert fhir.search("Practitioner?_summary=count")["total"] == people


def test_import_replaces_only_the_attendance_of_the_people_it_names(
        app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    session = fhir.get(refs["session"]).json
    other = fhir.create(person("Quispe", "Rosa"))["id"]
    other_role = fhir.create(f.role(f"Practitioner/{other}", refs["spoke"], "mentee",
                                    "nursing", country="BR"))["id"]
    stale = {"type": [{"coding": [{"system": f.ROLE, "code": "presenter"}]}],
             "period": {"start": "2026-11-05T19:00:00Z", "end": "2026-11-05T19:01:00Z"},
             "individual": {"reference": refs["presenter"]}}
    kept = {"type": [{"coding": [{"system": f.ROLE, "code": "mentee"}]}],
            "period": {"start": "2026-11-05T19:00:00Z", "end": "2026-11-05T19:30:00Z"},
            "individual": {"reference": f"PractitionerRole/{other_role}"}}
    session["participant"] += [stale, kept]
    assert fhir.put(refs["session"], session).status_code == 200
    run_import(app, "zoom_with_summary.csv", refs["session"])
    entries = attendance(fhir, refs["session"])
    assert kept in entries and stale not in entries


def test_teams_reports_day_first_and_utf16(app: Flask, fhir: Fhir,
                                           refs: dict[str, str]) -> None:
    ramon = fhir.create(person("Echeverría", "Ramón", "Ramon.Echeverria@example.org"))["id"]
    fhir.create(f.role(f"Practitioner/{ramon}", refs["hub"], "facilitator", "nursing",
                       country="BR"))
    hub = refs["hub"]
    fhir.create(f.spoke("Centro de Salud Tlalpan", hub, "MX", ident="SPK-TL"))
    fhir.create(f.spoke("Hospital Comunitario Teziutlán", hub, "MX", ident="SPK-TZ"))
    summary = run_import(app, "teams_new_utf8.csv", refs["session"], create_unknown=True)
    assert by_status(summary) == {"matched": {"Dr. Ramón Echeverría"},
                                  "created": {"Guadalupe Hernández", "José Ángel Ruiz"},
                                  "unmatched": set()}
    types = {p["individual"]["reference"]: p["type"][0]["coding"][0]["code"]
             for p in attendance(fhir, refs["session"])}
    assert sorted(types.values()) == ["facilitator", "mentee", "mentee"]
    again = run_import(app, "teams_new_utf8.csv", refs["session"], create_unknown=True)
    assert not again.written  # José Ángel has no e-mail: found again by spoke and name
    utf16 = run_import(app, "teams_new_utf16.csv", refs["session"])
    assert by_status(utf16)["unmatched"] == {"Dr. Paulo Ribeiro", "Luíza Magalhães",
                                             "Fátima Sarmento", "André Conceição"}
    assert not utf16.written


def test_legacy_teams_and_table_only_zoom(app: Flask, fhir: Fhir,
                                          refs: dict[str, str]) -> None:
    legacy = run_import(app, "teams_legacy.csv", refs["session"])
    assert {a.name for a in legacy.attendees} == {"Dra. Rosa Quispe", "Carmen Huamán",
                                                  "Jesús Mamani"}
    table = run_import(app, "zoom_table_only.csv", refs["session"])
    assert len(table.attendees) == 3 and not table.written


def test_duplicate_attendees_resolving_to_one_person_are_merged(
        app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    """Zoom lists Inês twice with one e-mail; a second address of hers is in the directory
    too, so the two report lines of different people map to one practitioner."""
    ines = person("Carvalho", "Inês", "ines.carvalho@example.org")
    ines["telecom"].append({"system": "email", "value": "conceicao.araujo@example.org"})
    ines_id = fhir.create(ines)["id"]
    summary = run_import(app, "zoom_table_only.csv", refs["session"])
    assert by_status(summary)["matched"] == {"Inês Carvalho", "Conceição Araújo"}
    entries = attendance(fhir, refs["session"])
    mine = [p for p in entries if p["individual"]["reference"] == f"Practitioner/{ines_id}"]
    periods = sorted((p["period"]["start"], p["period"]["end"]) for p in mine)
    assert all(a[1] < b[0] for a, b in zip(periods, periods[1:], strict=False))
    assert participant_hours(fhir.get(refs["session"]).json) < summary.minutes / 60


def test_a_report_of_another_day_is_refused_unless_asked(app: Flask, fhir: Fhir,
                                                        refs: dict[str, str]) -> None:
    before = fhir.get(refs["session"]).json["meta"]["versionId"]
    with pytest.raises(Unprocessable, match="report is of 2026-11-26 but .* on 2026-11-05"):
        run_import(app, "teams_new_utf8.csv", refs["session"], other_day=False)
    assert fhir.get(refs["session"]).json["meta"]["versionId"] == before
    assert run_import(app, "teams_new_utf8.csv", refs["session"], other_day=True).attendees


def test_the_session_day_is_read_in_the_reports_zone(app: Flask, fhir: Fhir,
                                                     refs: dict[str, str]) -> None:
    """Session at 01:30 UTC on 6 November is the evening of 5 November in São Paulo."""
    late = fhir.create(session(refs["program"], refs["tutor"], start="2026-11-06T01:30:00Z",
                               end="2026-11-06T02:30:00Z"))["id"]
    summary = run_import(app, "zoom_with_summary.csv", f"Encounter/{late}", other_day=False)
    assert summary.written
    with pytest.raises(Unprocessable, match="on 2026-11-06"):
        run_import(app, "zoom_with_summary.csv", f"Encounter/{late}", other_day=False,
                   zone=UTC)


def test_fold_ignores_case_accents_and_spacing() -> None:
    assert fold("  Clínica  Rural SAN Isidro ") == fold("clinica rural san isidro")
    assert fold("UBS Vila Nova") != fold("UBS Vila Velha")
