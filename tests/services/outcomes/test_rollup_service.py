"""Roll-up on a national node: three peers' reports imported, combined, released masked."""

from __future__ import annotations

import pytest
from flask import Flask

from registry.errors import NotFound
from registry.services.outcomes.reports import Counted
from registry.services.outcomes.service import OutcomesService
from tests.conftest import TEST_BASE, system_service
from tests.services.outcomes.builders import report

PEERS = [f"https://node-{n}.test/fhir/Organization/hub-{n}" for n in "abc"]


def test_three_nodes_reports_are_summed_and_released_masked(app: Flask) -> None:
    sessions = [report("sessions-held", 20 + n, {"topic": {"hiv-care": 20 + n}},
                       period="2026-Q3", subject=s) for n, s in enumerate(PEERS)]
    hours = [report("participant-hours", Counted(15, observation_sum=30.0 + n),
                    period="2026-Q3", subject=s) for n, s in enumerate(PEERS)]
    with system_service(app) as service:
        outcomes = OutcomesService(service)
        with pytest.raises(NotFound):
            outcomes.rollup("2026-Q3")
        assert outcomes.import_reports([*sessions, *hours]) == 6
        combined = {r["measure"].split("|")[0].rsplit("/", 1)[1]: r
                    for r in outcomes.rollup("2026-Q3")}
    total = combined["sessions-held"]["group"][0]
    assert total["population"][0]["count"] == 63
    assert combined["sessions-held"]["subject"]["reference"] == TEST_BASE
    hours_total = combined["participant-hours"]["group"][0]
    assert hours_total["population"][0]["count"] == 45
    assert hours_total["measureScore"]["value"] == pytest.approx(93.0)
    with system_service(app) as service:
        done = OutcomesService(service).release("2026-Q3")
    assert done.audit is not None and done.audit.passed
