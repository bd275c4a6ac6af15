"""The dashboard in a real browser: sign-in, every page, charts, figures, languages, policy,
keyboard and an accessibility scan."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Served

PAGES = ("/", "/dashboard/hubs", "/dashboard/activity", "/dashboard/reach", "/dashboard/cases",
         "/dashboard/programs", "/dashboard/outcomes", "/dashboard/peers")


def sign_in(page: Any, token: str) -> None:
    page.goto("/signin")
    page.get_by_label("Registry token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def test_sign_in_and_sign_out(page: Any, served: Served) -> None:
    page.goto("/")
    assert page.get_by_role("link", name="Sign in to the dashboard").is_visible()
    sign_in(page, served.admin)
    assert page.get_by_role("heading", name="Network overview").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/")
    assert page.get_by_role("link", name="Sign in to the dashboard").is_visible()
    page.goto("/dashboard/activity")
    assert "/signin" in page.url


def test_every_page_renders_and_charts_draw(page: Any, served: Served) -> None:
    sign_in(page, served.admin)
    for path in (*PAGES, f"/dashboard/programs/{served.own_program}",
                 f"/dashboard/hubs/{served.own_hub}"):
        response = page.goto(path)
        assert response.status == 200, path
        for chart in page.locator("svg.chart").all():
            box = chart.bounding_box()
            assert box and box["width"] > 100 and box["height"] > 50, path
    page.goto("/")
    assert page.locator("svg[data-chart=map] circle.site").count() > 10
    page.goto("/dashboard/outcomes")
    assert page.locator("svg[data-chart=outcomes] g.interval").count() > 0
    assert page.locator("svg[data-chart=outcomes] g.interval").count() == page.locator(
        "[data-table=outcome-changes] tbody tr").count()


def test_figures_on_the_page_equal_the_apis(page: Any, served: Served) -> None:
    sign_in(page, served.admin)
    page.goto("/")
    auth = {"Authorization": f"Bearer {served.admin}", "Accept": "application/fhir+json"}
    for name, query in (("hubs", "Organization?type=hub"), ("spokes", "Organization?type=spoke"),
                        ("practitioners", "Practitioner"), ("programs", "HealthcareService")):
        total = page.request.get(f"/fhir/{query}{'&' if '?' in query else '?'}_summary=count",
                                 headers=auth).json()["total"]
        shown = page.locator(f"[data-figure={name}]").inner_text()
        assert int(shown.replace(",", "")) == total, name


def test_the_language_switch_changes_every_label(page: Any, served: Served) -> None:
    sign_in(page, served.admin)
    labels = "header a, header button, h1, h2, th[scope=col], figcaption a, dt"

    def texts() -> list[str]:
        return [t.strip() for t in page.locator(labels).all_inner_texts()]

    english = texts()
    for code, name in (("es", "Español"), ("pt", "Português"), ("fr", "Français")):
        page.get_by_role("link", name=name).click()
        page.wait_for_url(f"**lang={code}")
        assert page.locator("html").get_attribute("lang") == code
        changed = texts()
        fixed = {"English", "Español", "Português", "Français", "Hubs", "Spokes", "Hub",
                 "Sites", "Rural", "Programs"}  # language names and words both languages use
        same = [a for a, b in zip(english, changed, strict=True) if a == b and a not in fixed]
        assert not same, (code, same)


def test_a_hub_admin_cannot_reach_another_hubs_page(page: Any, served: Served) -> None:
    sign_in(page, served.hub_admin)
    assert page.goto(f"/dashboard/programs/{served.own_program}").status == 200
    refused = page.goto(f"/dashboard/programs/{served.other_program}")
    assert refused.status == 403
    assert [e for e in page.console_errors if "403" not in e] == []
    page.console_errors.clear()
    assert page.get_by_role("heading", name="Not your hub's page").is_visible()
    assert page.get_by_role("link", name="Peers").count() == 0
    assert page.goto("/dashboard/peers").status == 403
    page.console_errors.clear()


def tab_to(page: Any, test: str, limit: int = 25) -> None:
    """Press Tab until the focused element passes ``test`` (a JavaScript expression on
    ``el``)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {test})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached an element where {test}")


def test_keyboard_alone_signs_in_and_moves_through_the_page(page: Any, served: Served) -> None:
    page.goto("/signin")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    tab_to(page, "el.id === 'token'")
    page.keyboard.type(served.admin)
    page.keyboard.press("Enter")
    page.wait_for_url("**/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link
    assert page.url.endswith("#main")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
    page.goto("/")
    tab_to(page, "el.textContent === 'Activity'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard/activity")
    tab_to(page, "el.textContent === 'Sign out'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/")
    assert page.get_by_role("link", name="Sign in to the dashboard").is_visible()


@pytest.mark.parametrize("path", ("/signin", *PAGES, "program", "hub"))
def test_no_accessibility_violations(page: Any, served: Served, path: str) -> None:
    if path != "/signin":
        sign_in(page, served.admin)
    page.goto({"program": f"/dashboard/programs/{served.own_program}",
               "hub": f"/dashboard/hubs/{served.own_hub}"}.get(path, path))
    result = page.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa',"
                           " 'wcag22aa']})")
    violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert not violations, violations


def test_each_chart_exports_as_png_drawn_from_its_svg(page: Any, served: Served) -> None:
    sign_in(page, served.admin)
    for path in ("/", "/dashboard/activity", "/dashboard/outcomes"):
        page.goto(path)
        buttons = page.get_by_role("button", name="Download the chart (PNG)")
        assert buttons.count() == page.locator("figure svg.chart").count() > 0, path
        with page.expect_download() as caught:
            buttons.first.click()
        download = caught.value
        assert download.suggested_filename.endswith(".png"), path
        with open(download.path(), "rb") as png:
            assert png.read(8) == b"\x89PNG\r\n\x1a\n", path


def test_a_period_is_kept_by_the_language_switch_and_a_bad_one_refused(
        page: Any, served: Served) -> None:
    sign_in(page, served.admin)
    page.goto("/dashboard/activity")
    page.get_by_label("Period (YYYY, YYYY-Qn or YYYY-MM)").fill("2025-Q4")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**period=2025-Q4**")
    months = page.locator("[data-table=activity] tbody th").all_inner_texts()
    assert months and set(months) <= {"2025-10", "2025-11", "2025-12"}
    page.get_by_role("link", name="Español").click()
    page.wait_for_url("**lang=es**")
    assert "period=2025-Q4" in page.url
    assert page.goto("/dashboard/cases?period=2025-13").status == 400
    page.console_errors.clear()
