"""A served registry with the demo network, and Playwright driving Debian's Chromium.

The registry runs in a thread on a loopback port over its own SQLite file; the browser is
``/usr/bin/chromium`` (``make browser`` installs it; Playwright downloads no browser). Without
it the tests skip, except under ``CI=true``, where they must run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from registry.storage import migrate
from registry.storage.database import create_engine
from tests.conftest import build_app, make_token

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


@dataclass
class Served:
    url: str
    app: Flask
    admin: str  # a network-admin token
    hub_admin: str  # a hub-admin token of the first hub
    own_program: str  # a program of that hub
    other_program: str  # a program of another hub
    own_hub: str  # the hub-admin's hub


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'registry.db'}"
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = build_app(url, rate_limit="", base_url="")
    app.config["TESTING"] = False
    result = app.test_cli_runner().invoke(args=["demo", "--scale", "0.1"])
    assert result.exit_code == 0, result.output
    admin = make_token(app)
    client = app.test_client()
    bundle = client.get("/fhir/HealthcareService?_count=100&_sort=name",
                        headers={"Authorization": f"Bearer {admin}"}).json
    programs = [e["resource"] for e in bundle["entry"]]
    own = programs[0]
    hub = own["providedBy"]["reference"]
    other = next(p for p in programs if p["providedBy"]["reference"] != hub)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_port}", app, admin,
                     make_token(app, "hub-admin", binding=hub), own["id"], other["id"],
                     hub.split("/")[1])
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["registry.database"].dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing at /usr/bin/chromium: run make browser",
                        pytrace=False)
        pytest.skip("Chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                           args=["--no-sandbox"])
        yield found
        found.close()


@pytest.fixture
def page(browser, served: Served) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookies) whose console errors fail the test; axe-core is
    injected as an init script (the page's CSP forbids inline scripts)."""
    context = browser.new_context(base_url=served.url, locale="en-GB")
    context.add_init_script(path=str(AXE))
    found = context.new_page()
    found.set_default_timeout(10_000)
    errors: list[str] = []
    found.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    found.on("pageerror", lambda exc: errors.append(str(exc)))
    found.console_errors = errors  # a test that expects a refusal clears its own
    yield found
    context.close()
    assert not errors, errors
