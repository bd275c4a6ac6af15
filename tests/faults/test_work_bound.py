"""A request's work is bounded as a whole, not only per statement (issue #35): a transaction
Bundle that runs past the statement time-out answers 503 and writes nothing, on both
databases (SQLite's progress handler; PostgreSQL's bound on the whole transaction)."""

from __future__ import annotations

import pytest
from flask import Flask

from tests import factories as f
from tests.conftest import Fhir, make_token


@pytest.mark.settings(statement_timeout_ms=250, rate_limit="")
def test_a_transaction_longer_than_allowed_answers_503_and_writes_nothing(
        committing_app: Flask) -> None:
    fhir = Fhir(committing_app.test_client(), make_token(committing_app))
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": f.hub(f"Long Hub {n}", ident=f"LONG-{n}"),
         "request": {"method": "POST", "url": "Organization"}} for n in range(3_000)]}
    response = fhir.post("", bundle)
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.json["issue"][0]["code"] == "timeout" and response.headers["Retry-After"]
    assert fhir.search("Organization?_summary=count")["total"] == 0
    small = {**bundle, "entry": bundle["entry"][:3]}
    assert fhir.post("", small).status_code == 200  # the connection is fine afterwards
