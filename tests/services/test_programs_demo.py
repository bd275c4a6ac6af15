"""The programs demo data: added to a small demo network, valid, idempotent, useful."""

from __future__ import annotations

from flask import Flask

from registry.services.demo import generate_network
from registry.services.loading import LoadReport, batches, load_batch
from registry.services.programs.demo import load_programs
from registry.services.programs.needs import needs_summary
from registry.services.programs.progress import progress
from tests.conftest import system_service


def test_load_programs_adds_cohorts_plans_sessions_learning_and_consultations(
        app: Flask) -> None:
    with system_service(app) as service:
        for chunk in batches(generate_network(seed=7, scale=0.02), 500):
            load_batch(service, chunk, LoadReport())
        first = load_programs(service, programs=2)
        again = load_programs(service, programs=2)
        assert first.written > 0 and again.written == 0 and again.unchanged == first.written
        _, groups = service.search("Group", {"_count": ["10"]})
        cohorts = [g.res_id for g in groups.matches]
        assert len(cohorts) == 2
        summary = needs_summary(service, cohorts[0])
        respondents = next(p for p in summary["parameter"] if p["name"] == "respondents")
        assert respondents["valueInteger"] > 0
        figures = progress(service, cohorts[0], {})
        assert {"name": "sessions-planned", "valueInteger": 8} in figures["parameter"]
        assert {"name": "topics-planned", "valueInteger": 4} in figures["parameter"]
        for res_type in ("ServiceRequest", "Communication", "DocumentReference", "CarePlan"):
            _, found = service.search(res_type, {"_count": ["50"]})
            assert found.matches, res_type
