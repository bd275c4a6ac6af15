"""``make screenshots``: a picture of each dashboard page, for the README.

The demo network is loaded into a temporary SQLite file and served on a loopback port;
Debian's Chromium (driven by Playwright, as in the browser tests) signs in as a
network-admin and saves each page as a PNG under ``registry/static/screenshots/``.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

from benchmarks.dashboard import CHROMIUM, admin_token, loaded_app

OUT = Path(__file__).resolve().parent.parent / "registry" / "static" / "screenshots"
PAGES = {"overview": "/", "activity": "/dashboard/activity?period=2025",
         "reach": "/dashboard/reach", "cases": "/dashboard/cases?period=2025",
         "outcomes": "/dashboard/outcomes", "hubs": "/dashboard/hubs",
         "programs": "/dashboard/programs"}
RESOURCES = 5_000


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.screenshots",
                                description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--lang", default="en", choices=("en", "es", "pt", "fr"))
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as folder:
        app = loaded_app(Path(folder) / "registry.db", RESOURCES)
        token = admin_token(app)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            shoot(f"http://127.0.0.1:{server.server_port}", token, args.out, args.lang)
        finally:
            server.shutdown()
            thread.join(timeout=10)


def shoot(base: str, token: str, out: Path, lang: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(base_url=base, viewport={"width": 1200, "height": 900})
        page.goto(f"/signin?lang={lang}")
        page.fill("#token", token)
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        with_program = dict(PAGES)
        first = page.request.get("/fhir/HealthcareService?_count=1&_sort=name", headers={
            "Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}).json()
        with_program["program"] = f"/dashboard/programs/{first['entry'][0]['resource']['id']}"
        for name, path in with_program.items():
            page.goto(path, wait_until="load")
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            print(out / f"{name}.png")
        browser.close()


if __name__ == "__main__":
    main()
