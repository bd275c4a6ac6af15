"""MeasureReports built from the figures an indicator's query computes, and read back.

The query of an indicator (the lead's SQL, one per key of ``schemas/measures/README.md``)
gives plain numbers: a ``Counted`` for the total and for each stratum. ``build_report`` turns
them into a MeasureReport (status ``pending``) in the shape ``adapters.measure_report``
describes, computing each score from the counts and sums so that score and figures never
disagree; ``read_report`` gives the plain data back. Both check the result against the R4B
model. Figures that cannot be right (strata of a partition that do not add up to the total,
a numerator above its denominator) are refused with ``ValueError``: they are a bug in the
query, not something to publish.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B.measurereport import MeasureReport

from adapters.measure_report import Figure, ReportData, decode_report, encode_report
from registry.errors import Unprocessable
from registry.services.outcomes.measures import Indicator, catalogue
from registry.services.outcomes.periods import ReportingPeriod

_SUM_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Counted:
    """What an indicator's query gives for the total or for one stratum.

    ``count`` is the members counted (the denominator of a proportion); ``numerator`` is for
    proportions, ``observation_sum`` for sums and means, ``median`` for medians.
    """

    count: int
    numerator: int | None = None
    observation_sum: float | None = None
    median: float | None = None


@dataclass(frozen=True)
class IndicatorFigures:
    """The total and the strata (stratifier code -> value code -> figures) of one report."""

    total: Counted
    strata: Mapping[str, Mapping[str, Counted]] = field(default_factory=dict)


def build_report(indicator: Indicator, figures: IndicatorFigures, *, subject: str,
                 period: ReportingPeriod, reporter: str | None = None, date: str | None = None,
                 report_id: str | None = None) -> dict[str, Any]:
    """The pending MeasureReport of one indicator, subject and period."""
    _check_strata(indicator, figures)
    data = ReportData(
        measure=f"{indicator.url}|{indicator.version}", indicator=indicator.key,
        subject=subject, period_start=period.start.isoformat(),
        period_end=period.end.isoformat(), total=figure_of(indicator, figures.total),
        strata={code: {value: figure_of(indicator, c) for value, c in strata.items()}
                for code, strata in figures.strata.items()},
        populations=indicator.populations, status="pending", unit=indicator.unit,
        improvement=indicator.improvement, reporter=reporter, date=date, id=report_id)
    return validated(encode_report(data))


def read_report(report: Mapping[str, Any]) -> ReportData:
    """The plain data of a MeasureReport; Unprocessable when it is not one of ours."""
    validated(dict(report))
    try:
        data = decode_report(report)
    except ValueError as exc:
        raise Unprocessable(str(exc)) from None
    if data.measure.split("|")[0] not in catalogue():
        raise Unprocessable(f"MeasureReport.measure {data.measure!r} is not a network indicator")
    return data


def validated(report: dict[str, Any]) -> dict[str, Any]:
    """``report`` unchanged if the R4B model accepts it; Unprocessable with one line if not."""
    try:
        MeasureReport.model_validate(report)
    except ValueError as exc:
        first = str(exc).splitlines()
        raise Unprocessable(f"Invalid MeasureReport: {' '.join(first[:3])}") from None
    return report


def figure_of(indicator: Indicator, counted: Counted) -> Figure:
    """The report figure of one total or stratum: counts per population and the score."""
    if counted.count < 0 or (counted.numerator or 0) < 0:
        raise ValueError(f"{indicator.key}: counts cannot be negative")
    if indicator.scoring == "proportion":
        numerator = counted.numerator or 0
        if numerator > counted.count:
            raise ValueError(f"{indicator.key}: numerator {numerator} exceeds denominator "
                             f"{counted.count}")
        score = numerator / counted.count if counted.count else None
        return Figure({"denominator": counted.count, "numerator": numerator}, score=score)
    population = indicator.populations[0]
    counts = {population: counted.count}
    if indicator.scoring == "cohort":
        return Figure(counts, score=float(counted.count))
    if indicator.method == "median":
        return Figure(counts, score=counted.median if counted.count else None)
    total = counted.observation_sum or 0.0
    score = total if indicator.method == "sum" else (total / counted.count if counted.count
                                                     else None)
    return Figure(counts, score=score, observation_sum=total)


def _check_strata(indicator: Indicator, figures: IndicatorFigures) -> None:
    for code, strata in figures.strata.items():
        stratifier = indicator.stratifier(code)
        if stratifier is None:
            raise ValueError(f"{indicator.key} has no stratifier {code!r}")
        if stratifier.partition:
            _check_partition(indicator, code, figures.total, list(strata.values()))


def _check_partition(indicator: Indicator, code: str, total: Counted,
                     strata: list[Counted]) -> None:
    pairs: list[tuple[str, float, float]] = [("count", total.count,
                                              sum(s.count for s in strata))]
    if indicator.scoring == "proportion":
        pairs.append(("numerator", total.numerator or 0, sum(s.numerator or 0 for s in strata)))
    if indicator.carries_sum:
        pairs.append(("observation sum", total.observation_sum or 0.0,
                      sum(s.observation_sum or 0.0 for s in strata)))
    for what, whole, parts in pairs:
        if abs(whole - parts) > _SUM_TOLERANCE * max(1.0, abs(whole)):
            raise ValueError(f"{indicator.key}: the {code} strata add up to {parts} {what}, "
                             f"the total is {whole} (members without a value go in 'unknown')")
