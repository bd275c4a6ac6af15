"""The reach and cases pages: counts from the API's searches, counts only for cases."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

from flask import Flask

from tests import factories as f
from tests.api.test_cases import NAME, form, post_form
from tests.casework import network as case_network
from tests.conftest import Fhir, make_token
from tests.web.conftest import HTML, signed_in


def test_reach_counts_sites_by_settlement_and_the_rural_share(app: Flask, fhir: Fhir,
                                                              network) -> None:
    person = fhir.create(f.practitioner("Quispe"))["id"]
    fhir.create(f.role(f"Practitioner/{person}", f"Organization/{network['spoke_cusco']}",
                       "mentee", "nursing", country="PE"))
    client = signed_in(app, fhir.token or "")
    page = client.get("/dashboard/reach", headers=HTML).get_data(as_text=True)
    assert re.search(r'data-figure="rural-share">50(\.0)?\s?%<', page), page
    rows = list(csv.DictReader(io.StringIO(
        client.get("/dashboard/reach-sites.csv").get_data(as_text=True))))
    assert sorted((r["country"], r["settlement"], r["count"]) for r in rows) == [
        ("PE", "rural", "1"), ("PE", "urban", "1")]
    mentees = client.get("/dashboard/reach-mentees.csv").get_data(as_text=True)
    assert mentees.splitlines() == ["country,discipline,count", "PE,nursing,1"]


def test_cases_are_counted_never_shown(app: Flask, fhir: Fhir) -> None:
    refs = case_network(fhir)
    first = post_form(fhir, form(refs)).json
    assert post_form(fhir, form(refs, follow_up_of=first["composition"],
                                presenting_problem="Abstinent for 4 weeks.")).status_code == 201
    # A case is presented on its session's day, as the case indicators count it.
    held = datetime.fromisoformat(fhir.get(refs["session"]).json["period"]["start"])
    answer = fhir.post("Communication", {
        "resourceType": "Communication", "status": "completed",
        "sent": (held + timedelta(days=2)).isoformat(),
        "about": [{"reference": first["composition"]}], "encounter": {"reference": refs["session"]},
        "sender": {"reference": refs["tutor"]}, "recipient": [{"reference": refs["presenter"]}],
        "payload": [{"contentString": "Start acamprosate."}]})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    client = signed_in(app, fhir.token or "")
    page = client.get("/dashboard/cases", headers=HTML).get_data(as_text=True)
    assert 'data-figure="days-to-recommendation">2<' in page, page[page.find("<main"):]
    assert NAME not in page and "acamprosate" not in page
    rows = list(csv.DictReader(io.StringIO(
        client.get("/dashboard/cases.csv").get_data(as_text=True))))
    totals = {k: sum(int(r[k]) for r in rows)
              for k in ("presentations", "follow-ups", "recommendations")}
    assert totals == {"presentations": 2, "follow-ups": 1, "recommendations": 1}
    assert totals["presentations"] == fhir.search("Composition?_summary=count")["total"]


def test_a_role_that_may_not_read_cases_has_no_cases_page(app: Flask) -> None:
    client = signed_in(app, make_token(app, "global-viewer"))
    assert 'href="/dashboard/cases"' not in client.get("/", headers=HTML).get_data(as_text=True)
    page = client.get("/dashboard/cases", headers=HTML).get_data(as_text=True)
    assert "does not see case presentations" in page
