"""Calendar reporting periods: ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM``, as the CLI writes them.

A period is a run of whole days; MeasureReport.period gives its first and last day as FHIR
dates. The same codes are the values of the period stratifiers, so a month stratum of a year's
report and the report of that month name the same figure.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_CODE = re.compile(r"^(?P<year>\d{4})(?:-Q(?P<quarter>[1-4])|-(?P<month>0[1-9]|1[0-2]))?$")
STRATIFIER_OF_KIND = {"year": "period-year", "quarter": "period-quarter", "month": "period-month"}


class PeriodError(ValueError):
    """A period that is not ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM``."""


@dataclass(frozen=True, order=True)
class ReportingPeriod:
    """A calendar year, quarter or month."""

    start: date
    end: date
    kind: str  # year | quarter | month

    @property
    def code(self) -> str:
        if self.kind == "year":
            return f"{self.start.year}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"

    def to_fhir(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    def contains(self, other: ReportingPeriod) -> bool:
        return self.start <= other.start and other.end <= self.end

    def parts(self, kind: str) -> list[ReportingPeriod]:
        """The periods of ``kind`` that make up this one (months of a quarter, ...)."""
        step = {"year": 12, "quarter": 3, "month": 1}[kind]
        first = self.start.year * 12 + self.start.month - 1
        last = self.end.year * 12 + self.end.month - 1
        return [_span(m // 12, m % 12 + 1, step, kind) for m in range(first, last + 1, step)]


def parse_period(code: str) -> ReportingPeriod:
    """``2026`` | ``2026-Q3`` | ``2026-07`` -> the period; PeriodError on anything else."""
    match = _CODE.match(code.strip())
    if not match:
        raise PeriodError(f"Period {code!r} is not YYYY, YYYY-Qn or YYYY-MM")
    year = int(match["year"])
    if match["quarter"]:
        return _span(year, 3 * int(match["quarter"]) - 2, 3, "quarter")
    if match["month"]:
        return _span(year, int(match["month"]), 1, "month")
    return _span(year, 1, 12, "year")


def period_of_dates(start: str, end: str) -> ReportingPeriod:
    """The calendar period whose first and last days these FHIR dates are."""
    try:
        first, last = date.fromisoformat(start[:10]), date.fromisoformat(end[:10])
    except ValueError:
        raise PeriodError(f"Period {start!r}..{end!r} has no valid dates") from None
    for kind, months in (("month", 1), ("quarter", 3), ("year", 12)):
        if first.day == 1 and (first.month - 1) % months == 0:
            candidate = _span(first.year, first.month, months, kind)
            if candidate.end == last:
                return candidate
    raise PeriodError(f"Period {start}..{end} is not a calendar month, quarter or year")


def _span(year: int, month: int, months: int, kind: str) -> ReportingPeriod:
    last_month = month + months - 1
    end = date(year, last_month, calendar.monthrange(year, last_month)[1])
    return ReportingPeriod(date(year, month, 1), end, kind)
