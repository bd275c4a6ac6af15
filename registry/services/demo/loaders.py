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
from registry.services.loading import LoadReport, batches, load_batch


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
