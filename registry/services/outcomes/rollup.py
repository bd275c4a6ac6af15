"""Network-level reports combined from the reports of several nodes.

A national or global node pulls each peer's MeasureReports (same Measure, same period) and
combines them into one report for the network:

- counts and sums of observations add up; means are recombined as the summed observations
  over the summed counts, never as a mean of means;
- a median cannot be recombined from medians: the combined figure keeps its count and has no
  score (data-absent-reason ``unsupported``) unless a single node has members in it;
- a figure masked in some inputs counts the others only: it is a lower bound, and says so in
  the ``masked-inputs`` extension; masked in every input, it stays masked;
- a stratifier missing from an input makes its strata partial the same way.

The combined report is ``pending``: disclosure control applies to it again before release
(``disclosure.protect``), where a partial figure is known to be at least what it shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.measure_report import Figure, ReportData, encode_report
from registry.errors import Unprocessable
from registry.services.outcomes.measures import Catalogue, Indicator, catalogue
from registry.services.outcomes.reports import read_report, validated


def combine(reports: Sequence[Mapping[str, Any]], *, subject: str,
            reporter: str | None = None, date: str | None = None,
            measures: Catalogue | None = None) -> dict[str, Any]:
    """One pending report for ``subject`` from the reports of several nodes."""
    if not reports:
        raise Unprocessable("Nothing to combine: no reports given")
    inputs = [read_report(r) for r in reports]
    first = inputs[0]
    for data in inputs[1:]:
        if (data.measure.split("|")[0], data.period_start, data.period_end) != (
                first.measure.split("|")[0], first.period_start, first.period_end):
            raise Unprocessable(f"Reports of {data.measure} {data.period_start}..{data.period_end}"
                                f" and {first.measure} {first.period_start}..{first.period_end} "
                                "cannot be combined: same Measure and period only")
    indicator = (measures or catalogue())[first.measure]
    strata: dict[str, dict[str, Figure]] = {}
    for code in dict.fromkeys(c for data in inputs for c in data.strata):
        values = dict.fromkeys(v for data in inputs for v in data.strata.get(code, {}))
        strata[code] = {v: _combined(indicator, [_part(data, code, v) for data in inputs])
                        for v in values}
    combined = ReportData(
        measure=first.measure, indicator=first.indicator, subject=subject,
        period_start=first.period_start, period_end=first.period_end,
        total=_combined(indicator, [d.total for d in inputs]), strata=strata,
        populations=indicator.populations, status="pending", unit=indicator.unit,
        improvement=indicator.improvement, reporter=reporter, date=date)
    return validated(encode_report(combined))


def _part(data: ReportData, code: str, value: str) -> Figure | None:
    """An input's figure for one stratum: zero when left out, None when its stratifier is."""
    if code not in data.strata:
        return None
    return data.strata[code].get(value, Figure(counts={}))


def _combined(indicator: Indicator, parts: list[Figure | None]) -> Figure:
    known = [p for p in parts if p is not None and not p.masked]
    masked = len(parts) - len(known) + sum(p.masked_inputs for p in known)
    if not known:
        return Figure(masked=True)
    counts = {code: sum(p.counts.get(code, 0) for p in known) for code in indicator.populations}
    total = sum(p.observation_sum or 0.0 for p in known) if indicator.carries_sum else None
    score, absent = _score(indicator, counts, total, known)
    return Figure(counts=counts, score=score, observation_sum=total, masked_inputs=masked,
                  score_absent=absent)


def _score(indicator: Indicator, counts: Mapping[str, int], total: float | None,
           parts: list[Figure]) -> tuple[float | None, str | None]:
    members = counts[indicator.populations[0]]
    if indicator.scoring == "cohort":
        return float(members), None
    if indicator.scoring == "proportion":
        return (counts["numerator"] / members if members else None), None
    if indicator.method == "median":
        with_members = [p for p in parts if p.counts.get(indicator.populations[0])]
        if len(with_members) == 1:
            return with_members[0].score, None
        return None, ("unsupported" if with_members else None)
    if indicator.method == "sum":
        return total, None
    return (total / members if members and total is not None else None), None
