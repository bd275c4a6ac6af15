"""The dashboard's pages: the API's figures, under the API's policy, in four languages."""

from __future__ import annotations

import csv
import io
import re

from flask import Flask

from tests.conftest import Fhir, make_token
from tests.web.conftest import HTML, signed_in


def figure(page: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', page)
    assert found, name
    return found.group(1)


def api_count(fhir: Fhir, query: str) -> int:
    return int(fhir.search(f"{query}{'&' if '?' in query else '?'}_summary=count")["total"])


def test_overview_figures_equal_the_apis(app: Flask, fhir: Fhir, network) -> None:
    page = signed_in(app, fhir.token or "").get("/", headers=HTML).get_data(as_text=True)
    assert int(figure(page, "hubs")) == api_count(fhir, "Organization?type=hub") == 2
    assert int(figure(page, "spokes")) == api_count(fhir, "Organization?type=spoke") == 2
    assert int(figure(page, "programs")) == api_count(fhir, "HealthcareService") == 2
    assert page.count('class="site"') == api_count(fhir, "Location") == 2
    assert 'data-chart="map"' in page


def test_a_global_viewer_sees_only_what_it_may_read(app: Flask, network) -> None:
    page = signed_in(app, make_token(app, "global-viewer")).get("/", headers=HTML)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert figure(text, "hubs") == "0"  # nothing here is published
    assert 'data-figure="sessions"' not in text and 'data-figure="cases"' not in text


def test_a_hub_admin_opens_its_own_program_and_not_another_hubs(app: Flask, network) -> None:
    token = make_token(app, "hub-admin", binding=f"Organization/{network['hub_pe']}")
    client = signed_in(app, token)
    own = client.get(f"/dashboard/programs/{network['program_pe']}", headers=HTML)
    assert own.status_code == 200
    text = own.get_data(as_text=True)
    assert "Hub Andino" in text and "Posta cusco" in text and "Posta lima" in text
    other = client.get(f"/dashboard/programs/{network['program_es']}", headers=HTML)
    assert other.status_code == 403
    listing = client.get("/dashboard/programs", headers=HTML).get_data(as_text=True)
    assert f"/dashboard/programs/{network['program_pe']}" in listing
    assert f"/dashboard/programs/{network['program_es']}" not in listing
    assert "TUS España" in listing  # seen on the directory, without a way into its page


def test_a_national_program_opens_its_countrys_programs_only(app: Flask, network) -> None:
    client = signed_in(app, make_token(app, "national-program", binding="PE"))
    assert client.get(f"/dashboard/programs/{network['program_pe']}",
                      headers=HTML).status_code == 200
    assert client.get(f"/dashboard/programs/{network['program_es']}",
                      headers=HTML).status_code == 403


def test_a_missing_program_is_a_404_page(app: Flask, fhir: Fhir) -> None:
    answer = signed_in(app, fhir.token or "").get("/dashboard/programs/nope", headers=HTML)
    assert answer.status_code == 404 and answer.mimetype == "text/html"


def test_the_reach_table_downloads_as_csv(app: Flask, fhir: Fhir, network) -> None:
    answer = signed_in(app, fhir.token or "").get("/dashboard/reach.csv")
    assert answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert {r["country"]: (r["hubs"], r["spokes"]) for r in rows} == {
        "ES": ("1", "0"), "PE": ("1", "2")}


def test_charts_download_as_svg(app: Flask, fhir: Fhir, network) -> None:
    client = signed_in(app, fhir.token or "")
    for path in ("/dashboard/map.svg", "/dashboard/activity-sessions.svg",
                 "/dashboard/activity-hours.svg"):
        answer = client.get(path)
        assert answer.status_code == 200 and answer.mimetype == "image/svg+xml", path
        assert answer.get_data(as_text=True).startswith("<svg")
    assert client.get("/dashboard/activity-other.svg").status_code == 404
    table = client.get("/dashboard/activity.csv").get_data(as_text=True)
    assert table.splitlines()[0] == "month,sessions,participant_hours"


def test_the_language_follows_the_browser_and_the_switch(app: Flask, fhir: Fhir,
                                                         network) -> None:
    client = signed_in(app, fhir.token or "")
    french = client.get("/", headers={**HTML, "Accept-Language": "fr-CA,fr;q=0.9"})
    assert "Vue d’ensemble du réseau" in french.get_data(as_text=True)
    spanish = client.get("/?lang=es", headers=HTML).get_data(as_text=True)
    assert "Resumen de la red" in spanish and 'lang="es"' in spanish
    kept = client.get("/dashboard/activity", headers=HTML).get_data(as_text=True)
    assert "Actividad en el tiempo" in kept
    portuguese = client.get("/?lang=pt", headers=HTML).get_data(as_text=True)
    assert "Visão geral da rede" in portuguese and "Peru (PE)" in portuguese


def test_pages_ask_a_signed_out_person_to_sign_in(app: Flask) -> None:
    for path in ("/dashboard/activity", "/dashboard/programs", "/dashboard/reach.csv",
                 "/dashboard/map.svg"):
        answer = app.test_client().get(path, headers=HTML)
        assert answer.status_code == 303 and answer.headers["Location"].startswith("/signin")


def test_the_language_switch_keeps_the_pages_parameters(app: Flask) -> None:
    page = app.test_client().get("/signin?next=/dashboard/reach", headers=HTML)
    assert 'href="/signin?next=/dashboard/reach&amp;lang=fr"' in page.get_data(as_text=True)


def _inside(x: float, y: float, ring: list[tuple[float, float]]) -> bool:
    """Even-odd rule: does a horizontal ray from (x, y) cross the ring an odd number of times?"""
    crossings = 0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            crossings += 1
    return crossings % 2 == 1


def test_the_map_draws_the_land_its_sites_stand_on(app: Flask, fhir: Fhir, network) -> None:
    svg = signed_in(app, fhir.token or "").get("/dashboard/map.svg").get_data(as_text=True)
    land = re.search(r'<path class="land" d="([^"]*)"', svg)
    assert land, "no land drawn under the sites"
    rings = [[(float(x), float(y)) for x, y in (p.split(",") for p in ring.split("L"))]
             for ring in re.findall(r"M([^MZ]+)Z", land.group(1))]
    sites = [(float(x), float(y)) for x, y in re.findall(
        r'<circle class="site" cx="([\d.]+)" cy="([\d.]+)"', svg)]
    assert sites and all(any(_inside(x, y, ring) for ring in rings) for x, y in sites)
