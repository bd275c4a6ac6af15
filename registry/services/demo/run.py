"""What every demo part is handed: the seed, the scale and how to open a unit of work."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from registry.services.fhir import FhirService


def _ignore(_: int) -> None:
    pass


@dataclass(frozen=True)
class DemoRun:
    """One ``registry demo``: a part opens as many units as it needs, one transaction each,
    acting as the node itself; ``progress`` is told how many resources a step handled."""

    seed: int
    scale: float
    unit: Callable[[], AbstractContextManager[FhirService]]
    batch: int = 1000
    progress: Callable[[int], None] = field(default=_ignore)
