"""The outcome demo: a year of activity on the demo network, every fact-based indicator with
figures, small cells masked on release; quick and idempotent."""

from __future__ import annotations

from flask import Flask

from registry.services.demo import generate_network
from registry.services.loading import LoadReport, load_batch
from registry.services.outcome_demo import demo_outcomes, demo_periods, evaluate_and_release
from registry.services.outcomes import evaluation
from registry.services.outcomes.measures import catalogue
from registry.services.outcomes.service import OutcomesService
from tests.conftest import system_service

MASKED = "masked"


def test_demo_outcomes_fill_every_indicator_and_mask_small_cells(app: Flask) -> None:
    with system_service(app) as service:
        load_batch(service, list(generate_network(seed=7, scale=0.3)), LoadReport())
    with system_service(app) as service:
        added = demo_outcomes(service, seed=7, scale=0.3, programs=8)
    for period in demo_periods(2025):
        with system_service(app) as service:
            evaluate_and_release(OutcomesService(service), period)
    with system_service(app) as service:
        reports = OutcomesService(service).released("2025")
    assert added.sessions == 96 and added.cases > 10 and added.recommendations > 5
    keys = evaluation.evaluated_keys() - set(evaluation.INSTRUMENT_OF)
    by_key = {catalogue()[r["measure"]].key: r for r in reports}
    assert keys <= set(by_key)
    texts = [str(r) for r in reports]
    assert any(MASKED in t for t in texts)
    for key in keys:
        count = by_key[key]["group"][0]["population"][0].get("count")
        assert count is None or count > 0, key
    with system_service(app) as service:
        again = demo_outcomes(service, seed=7, scale=0.3, programs=8)
    assert again.sessions == 0
