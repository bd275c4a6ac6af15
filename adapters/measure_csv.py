"""MeasureReports as CSV: one row per measure, stratum and period.

Columns: ``measure`` (canonical), ``indicator``, ``subject``, ``period_start``,
``period_end``, ``stratifier`` and ``stratum`` (both empty on the total row), ``count`` (the
members counted: initial population, measure population, or a proportion's denominator),
``numerator`` (proportions), ``observation_sum`` (sums and means), ``score``, ``unit``, and
``suppressed`` (``true`` when the figure is masked: its numbers are then empty) and
``masked_inputs`` (roll-ups: how many combined reports had the figure masked).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from adapters.measure_report import Figure, ReportData, decode_report

COLUMNS = ("measure", "indicator", "subject", "period_start", "period_end", "stratifier",
           "stratum", "count", "numerator", "observation_sum", "score", "unit", "suppressed",
           "masked_inputs")


def export_csv(reports: Iterable[Mapping[str, Any]]) -> str:
    """The CSV text (with a header row) of the reports."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for report in reports:
        data = decode_report(report)
        for stratifier, value, figure in data.figures():
            writer.writerow(_row(data, stratifier, value, figure))
    return out.getvalue()


def _row(data: ReportData, stratifier: str | None, value: str | None, figure: Figure
         ) -> dict[str, str]:
    members = data.populations[0] if data.populations else ""
    if "denominator" in data.populations:
        members = "denominator"
    return {
        "measure": data.measure, "indicator": data.indicator, "subject": data.subject,
        "period_start": data.period_start, "period_end": data.period_end,
        "stratifier": stratifier or "", "stratum": value or "",
        "count": _text(figure.counts.get(members)),
        "numerator": _text(figure.counts.get("numerator")),
        "observation_sum": _text(figure.observation_sum), "score": _text(figure.score),
        "unit": data.unit or "", "suppressed": "true" if figure.masked else "false",
        "masked_inputs": str(figure.masked_inputs) if figure.masked_inputs else "",
    }


def _text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
