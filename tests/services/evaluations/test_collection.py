"""Survey links (a form round trip in four languages, single use, expiry) and CSV imports
(one line naming the row, nothing written)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from registry.services.evaluations.collection import hash_token
from registry.storage.tables import survey_link
from tests.conftest import Fhir, system_service
from tests.services.evaluations.helpers import SUD, network

FORM_WORDS = {"en": ("Knowledge test", "Submit"), "es": ("Prueba de conocimientos", "Enviar"),
              "pt": ("Teste de conhecimentos", "Enviar"),
              "fr": ("Test de connaissances", "Envoyer")}


def open_window(app: Flask, net: dict[str, Any], *options: str) -> list[tuple[str, str, str]]:
    result = app.test_cli_runner().invoke(args=[
        "evaluation", "open", "--program", net["program"], "--cohort", net["cohort"],
        "--phase", "pre", "--instrument", SUD, *options])
    assert result.exit_code == 0, result.output
    return [tuple(line.split("\t")) for line in result.output.splitlines()]  # type: ignore[misc]


@pytest.mark.parametrize("lang", ["en", "es", "pt", "fr"])
def test_a_form_round_trip_in_each_language(app: Flask, fhir: Fhir, lang: str) -> None:
    net = network(fhir, mentees=2)
    links = open_window(app, net, "--lang", lang)
    assert [(m, language) for m, language, _ in links] == [
        (f"PractitionerRole/{r}", lang) for r in net["roles"]]
    path = "/survey/" + links[0][2].rsplit("/survey/", 1)[1]
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for word in FORM_WORDS[lang]:
        assert word in text
    assert "<script" not in text and "https://" not in text
    fields = sorted(set(re.findall(r'name="(0:sud-\d)"', text)))
    assert len(fields) == 5
    answers = dict.fromkeys(fields, "a") | {"0:sud-2": "true", "0:sud-4": "false"}
    done = client.post(path, data=answers)
    assert done.status_code == 201, done.get_data(as_text=True)
    stored = fhir.search(f"QuestionnaireResponse?author=PractitionerRole/{net['roles'][0]}"
                         "&phase=pre")
    assert stored["total"] == 1
    response = stored["entry"][0]["resource"]
    assert response["questionnaire"] == SUD
    assert client.post(path, data=answers).status_code == 410  # single use
    assert client.get(path).status_code == 410


def test_the_token_is_stored_as_its_hash_only(app: Flask, fhir: Fhir) -> None:
    net = network(fhir, mentees=1)
    (_, _, link), = open_window(app, net)
    token = link.rsplit("/", 1)[1]
    with system_service(app, write=False) as service:
        stored = [tuple(r) for r in service.ctx.conn.execute(survey_link.select())]
    assert stored and all(token not in map(str, row) for row in stored)
    assert stored[0][0] == hash_token(token)


def test_an_expired_link_is_gone(app: Flask, fhir: Fhir) -> None:
    net = network(fhir, mentees=1)
    past = app.test_cli_runner().invoke(args=[
        "evaluation", "open", "--program", net["program"], "--cohort", net["cohort"],
        "--phase", "pre", "--closes", "2020-01-01"])
    assert past.exit_code == 1 and "past" in past.output
    assert app.test_client().get("/survey/not-a-token").status_code == 404


def write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "redcap.csv"
    path.write_text(text, encoding="utf-8")
    return path


def import_csv(app: Flask, net: dict[str, Any], path: Path):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=[
        "evaluation", "import", str(path), "--program", net["program"], "--cohort",
        net["cohort"], "--phase", "pre", "--instrument", SUD])


def test_a_redcap_export_is_imported_with_provenance(app: Flask, fhir: Fhir,
                                                      tmp_path: Path) -> None:
    net = network(fhir, mentees=2)
    a, b = net["roles"]
    path = write_csv(tmp_path, "record_id,mentee,knowledge_sud_timestamp,sud_1,sud_2,sud_3,"
                     f"knowledge_sud_complete\n1,{a},2026-02-03 10:00,b,true,,2\n"
                     f"2,PractitionerRole/{b},2026-02-04 11:00,a,false,b,2\n")
    result = import_csv(app, net, path)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2 responses imported from redcap.csv"
    bundle = fhir.search(f"QuestionnaireResponse?program={net['program']}"
                         "&_revinclude=Provenance:target")
    matches = [e for e in bundle["entry"] if e["search"]["mode"] == "match"]
    provenance = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "include"]
    assert len(matches) == 2 and len(provenance) == 2
    assert provenance[0]["entity"][0]["what"]["display"] == "redcap.csv"


@pytest.mark.parametrize(("rows", "message"), [
    ("mentee,sud_1\n{a},b\n{a},z\n", "row 3: 'z' is no option of item 'sud-1'"),
    ("mentee,sud_9\n{a},b\n", "row 2: column 'sud_9' is no item of"),
    ("mentee,sud_1\nnobody,b\n", "row 2: PractitionerRole/nobody is not known"),
    ("mentee,authored,sud_1\n{a},03/02/2026,b\n", "row 2: '03/02/2026' is not a date"),
    ("who,sud_1\n{a},b\n", "row 1: no mentee column"),
])
def test_a_bad_row_is_named_and_nothing_is_written(app: Flask, fhir: Fhir, tmp_path: Path,
                                                   rows: str, message: str) -> None:
    net = network(fhir, mentees=1)
    result = import_csv(app, net, write_csv(tmp_path, rows.format(a=net["roles"][0])))
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert fhir.search("QuestionnaireResponse?_summary=count")["total"] == 0


def test_reopening_a_window_links_only_who_has_not_answered(app: Flask, fhir: Fhir) -> None:
    net = network(fhir, mentees=2)
    first = open_window(app, net)
    path = "/survey/" + first[0][2].rsplit("/survey/", 1)[1]
    answers = {f"0:sud-{n}": "a" for n in range(1, 6)} | {"0:sud-2": "true", "0:sud-4": "true"}
    assert app.test_client().post(path, data=answers).status_code == 201
    again = open_window(app, net)
    assert [m for m, _, _ in again] == [f"PractitionerRole/{net['roles'][1]}"]
    assert app.test_client().get("/survey/" + first[1][2].rsplit("/", 1)[1]).status_code == 404
