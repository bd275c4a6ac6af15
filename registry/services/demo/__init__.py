"""The demo: a fictional telementoring network that shows the whole product.

``registry demo`` runs ``PARTS`` in order, each a function of a ``DemoRun`` (seed, scale, how
to open a unit of work) returning one line of what it did: the directory (``network``), then
the activity of its programs (``activity``: sessions with attendance, cases with follow-ups and
recommendations). A later capability adds its demo by appending its loader to ``PARTS``
(evaluations, outcomes, work plans): it runs after everything it may refer to.
"""

from __future__ import annotations

from collections.abc import Callable

from registry.services.demo.loaders import (
    load_cases,
    load_directory,
    load_evaluations,
    load_outcomes,
    load_programs,
    load_sessions,
)
from registry.services.demo.network import (
    Roster,
    expected_resources,
    generate_network,
    generate_sessions,
    rosters,
    scale_for,
)
from registry.services.demo.run import DemoRun

DemoPart = Callable[[DemoRun], str]

PARTS: list[DemoPart] = [load_directory, load_sessions, load_cases, load_evaluations,
                         load_programs, load_outcomes]


def load_demo(run: DemoRun, parts: list[DemoPart] | None = None) -> list[str]:
    """Run every part (``PARTS`` unless given); one line per part."""
    return [part(run) for part in (PARTS if parts is None else parts)]


__all__ = [
    "PARTS",
    "DemoPart",
    "DemoRun",
    "Roster",
    "expected_resources",
    "generate_network",
    "generate_sessions",
    "load_demo",
    "rosters",
    "scale_for",
]
