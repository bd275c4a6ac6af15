"""The demo's parts, each a function of a ``DemoRun`` that says in one line what it did.

Every part is idempotent: loaded by id through the write pipeline (unchanged resources are
skipped), or, for cases whose ids the node secret decides, skipped when already present.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from registry.services.demo.activity import activity, has_cases, present_cases
from registry.services.demo.network import generate_network
from registry.services.demo.run import DemoRun
from registry.services.evaluations.demo import add_demo_evaluations
from registry.services.loading import LoadReport, batches, load_batch
from registry.services.programs.demo import load_programs as add_demo_programs
from registry.services.reporting import outcomes_service


def load_directory(run: DemoRun) -> str:
    """Hubs, spokes, sites, programs and practitioners (``network.generate_network``)."""
    report = _load(run, generate_network(seed=run.seed, scale=run.scale))
    return f"directory: {report.written} written, {report.unchanged} unchanged"


def load_sessions(run: DemoRun) -> str:
    """Weekly sessions of every program, with who attended from when to when."""
    report = _load(run, activity(run.seed, run.scale).sessions)
    return f"sessions: {report.written} written, {report.unchanged} unchanged"


def load_cases(run: DemoRun) -> str:
    """Case presentations and follow-ups, de-identified on the way in, with recommendations."""
    with run.unit() as service:
        if has_cases(service):
            return "cases: already presented, none added"
        count = present_cases(service, activity(run.seed, run.scale))
    run.progress(count)
    return f"cases: {count} presentations with their recommendations"


def _load(run: DemoRun, resources: Iterable[dict[str, Any]]) -> LoadReport:
    report = LoadReport()
    for chunk in batches(resources, run.batch):
        with run.unit() as service:
            load_batch(service, chunk, report)
        run.progress(len(chunk))
    return report


def load_evaluations(run: DemoRun) -> str:
    """Instruments, a cohort per program and its mentees' pre- and post-evaluations."""
    with run.unit() as service:
        report = add_demo_evaluations(service, seed=run.seed, batch=run.batch)
    run.progress(report.written)
    return f"evaluations: {report.written} written, {report.unchanged} unchanged"


def load_programs(run: DemoRun) -> str:
    """Cohorts, needs assessments, curricula and their adaptations, scheduled sessions,
    consultations, learning resources and certificates for a few programs."""
    with run.unit() as service:
        report = add_demo_programs(service, seed=run.seed)
    return f"programs: {report.written} written, {report.unchanged} unchanged"


DEMO_YEAR = 2025  # the demo's sessions run back from the end of this year
EVALUATION_YEAR = 2026  # the demo's evaluated cohort answers its pre and post tests this year
# What the demo releases: its year and quarters, and the evaluation year.
PERIODS = (f"{DEMO_YEAR}", *(f"{DEMO_YEAR}-Q{q}" for q in range(1, 5)), f"{EVALUATION_YEAR}")


def load_outcomes(run: DemoRun) -> str:
    """The year's indicators and those of its quarters, and the evaluation year's, evaluated
    over the loaded activity and released with small cells masked (one unit of work per
    period)."""
    for period in PERIODS:
        with run.unit() as service:
            outcomes = outcomes_service(service)
            outcomes.evaluate(period)
            outcomes.release(period)
    return f"outcomes: {len(PERIODS)} periods evaluated and released"
