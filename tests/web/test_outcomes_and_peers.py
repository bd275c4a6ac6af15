"""The outcomes page (the evaluation analysis and the released outcome reports), the peers
page, and the program page's evaluation report link: figures as the API gives them, pages and
menu entries only for the roles that may read them."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask

from registry.services.reporting import outcomes_service as outcomes
from registry.storage import federation as rows
from tests import factories as f
from tests.api.test_outcomes import evaluate_and_release
from tests.conftest import Fhir, make_token, system_service
from tests.services.evaluations.test_analysis import figures, load
from tests.web.conftest import HTML, signed_in


def test_outcomes_show_the_analysis_change_and_interval(app: Flask, fhir: Fhir) -> None:
    net = load(fhir)
    program_id = net["program"].split("/")[1]
    (sud,) = figures(fhir.get(f"HealthcareService/{program_id}/$evaluation-analysis"
                              ).json)["instruments"]
    stats = sud["statistics"]
    client = signed_in(app, fhir.token or "")
    page = client.get("/dashboard/outcomes", headers=HTML)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'data-program="{program_id}" data-kind="knowledge"' in text
    assert 'data-chart="outcomes"' in text and 'href="/dashboard/outcomes"' in text
    table = list(csv.DictReader(io.StringIO(
        client.get("/dashboard/outcomes-changes.csv").get_data(as_text=True))))
    assert [(r["program"], r["kind"], int(r["n"])) for r in table] == [
        (program_id, "knowledge", stats["n"])]
    row = table[0]
    assert float(row["mean_change"]) == pytest.approx(stats["meanChange"])
    assert (float(row["ci_low"]), float(row["ci_high"])) == pytest.approx(
        (stats["meanChangeCi"]["low"], stats["meanChangeCi"]["high"]))
    svg = client.get("/dashboard/outcomes-knowledge.svg")
    assert svg.mimetype == "image/svg+xml" and b'data-kind="knowledge"' in svg.data


def test_released_outcomes_are_shown_as_released(app: Flask, fhir: Fhir) -> None:
    net = load(fhir)
    evaluate_and_release(app, "2026-05")
    with system_service(app, write=False) as service:
        released = outcomes(service).released("2026-05")
    viewer = signed_in(app, make_token(app, "global-viewer"))
    page = viewer.get("/dashboard/outcomes?period=2026-05", headers=HTML)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "outcome-changes" not in text  # a global viewer reads no analysis
    table = list(csv.DictReader(io.StringIO(viewer.get(
        "/dashboard/outcomes-released.csv?period=2026-05").get_data(as_text=True))))
    totals = {r["indicator"]: r["value"] for r in table if r["stratum"] == ""}
    expected = {}
    for report in released:
        key = report["measure"].split("|")[0].rsplit("/", 1)[-1]
        if key in ("knowledge-gain", "self-efficacy-change", "attrition"):
            population = report["group"][0]
            expected[key] = ("masked" if "measureScore" not in population
                             else population["measureScore"]["value"])
    assert expected and set(totals) == set(expected)
    for key, value in expected.items():
        assert totals[key] == (value if value == "masked" else str(float(value)))
    if "masked" in expected.values():
        assert 'class="masked"' in text
    assert viewer.get("/dashboard/outcomes?period=2026-13", headers=HTML).status_code == 400
    clinician = signed_in(app, make_token(app, "spoke-clinician",
                                          binding=f"Organization/{net['spoke']['id']}"))
    own = clinician.get("/dashboard/outcomes?period=2026-05", headers=HTML)
    assert own.status_code == 200  # it reads its spoke's responses, not MeasureReports
    assert "outcome-released" not in own.get_data(as_text=True)


def test_peers_page_for_network_admins_only(app: Flask, fhir: Fhir,
                                            network: dict[str, str]) -> None:
    with system_service(app) as service:
        rows.insert_peer(service.ctx.conn, "hub-pe", "https://pe.example.org/fhir", None,
                         "secret-token-never-shown", 1_780_000_000_000_000)
        rows.fail_peer(service.ctx.conn, "hub-pe", "timed out")
        rows.insert_error(service.ctx.conn, "hub-pe", "fetch", None, "timed out",
                          1_780_000_000_000_000)
    admin = signed_in(app, fhir.token or "")
    page = admin.get("/dashboard/peers", headers=HTML).get_data(as_text=True)
    assert 'data-peer="hub-pe"' in page and "timed out" in page
    assert 'data-field="errors">1<' in page
    assert "secret-token-never-shown" not in page
    assert 'href="/dashboard/peers"' in page
    for role in ("hub-admin", "global-viewer", "national-program"):
        binding = {"hub-admin": {"binding": f"Organization/{network['hub_pe']}"},
                   "national-program": {"binding": "PE"}}.get(role, {})
        other = signed_in(app, make_token(app, role, **binding))
        assert other.get("/dashboard/peers", headers=HTML).status_code == 403
        assert 'href="/dashboard/peers"' not in other.get(
            "/dashboard/outcomes", headers=HTML).get_data(as_text=True)


def test_program_page_links_the_report_for_readers_only(app: Flask, fhir: Fhir) -> None:
    net = load(fhir)
    program_id = net["program"].split("/")[1]
    admin = signed_in(app, fhir.token or "")
    page = admin.get(f"/dashboard/programs/{program_id}?lang=es",
                     headers=HTML).get_data(as_text=True)
    link = f"/dashboard/programs/{program_id}/evaluation-report?format=pdf&amp;lang=es"
    assert link in page
    report = admin.get(link.replace("&amp;", "&"))
    assert report.status_code == 200 and report.mimetype == "application/pdf"
    html = admin.get(f"/dashboard/programs/{program_id}/evaluation-report?format=html")
    assert html.status_code == 200 and html.mimetype == "text/html"
    elsewhere = fhir.create(f.hub("Hub Lejano", "ES", ident="HUB-FAR"))["id"]
    other_hub = signed_in(app, make_token(app, "hub-admin", binding=f"Organization/{elsewhere}"))
    assert other_hub.get(f"/dashboard/programs/{program_id}/evaluation-report?format=pdf"
                         ).status_code in (403, 404)
