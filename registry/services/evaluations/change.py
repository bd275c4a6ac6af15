"""Each program's mean paired change per instrument with its 95 % confidence interval, for
many programs at once (the dashboard), from sums kept in SQL rather than every response.

The figures are those of the full analysis (``statistics.paired``): the mean change of the
matched mentees and Student's t interval of that mean (what ``ttest_rel`` gives), none when
fewer than two mentees are matched or every change is equal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from scipy import stats

from registry.services.context import Context
from registry.services.evaluations.instruments import Instrument
from registry.services.evaluations.statistics import CONFIDENCE
from registry.services.evaluations.step import find_instrument


@dataclass(frozen=True)
class ProgramChange:
    program: str  # HealthcareService/ID
    instrument: Instrument
    n: int
    mean_pre: float
    mean_post: float
    mean_change: float
    change_ci: tuple[float, float] | None


def program_changes(ctx: Context, sums: Sequence[tuple[Any, ...]], kinds: Iterable[str]
                    ) -> Iterator[ProgramChange]:
    """The change of each (program, instrument) of ``kinds`` from its sums (``n``, pre,
    post, change, squared change; see ``storage.dashboard.paired_sums``)."""
    wanted = set(kinds)
    for program, url, n, pre, post, change, squares in sums:
        instrument = find_instrument(ctx, url)
        if instrument is None or instrument.kind not in wanted or n < 2:
            continue
        mean = change / n
        yield ProgramChange(program, instrument, n, pre / n, post / n, mean,
                            _interval(n, mean, (squares - change * change / n) / (n - 1)))


def _interval(n: int, mean: float, variance: float) -> tuple[float, float] | None:
    if variance <= 1e-12 * max(1.0, mean * mean):
        return None
    low, high = stats.t.interval(CONFIDENCE, n - 1, loc=mean,
                                 scale=math.sqrt(variance / n))
    return float(low), float(high)
