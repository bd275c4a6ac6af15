"""What the aggregate exchange formats (DHIS2, ADX) share: their error and the periods.

    ValueError
     └── ExchangeError        bad input: one line per problem, nothing imported
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import date

MEASURE_BASE = "https://telementoring.example.org/fhir/Measure"


class ExchangeError(ValueError):
    """Input that cannot be exchanged; ``problems`` has one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"{self.problems[0]}{more}" if self.problems else "invalid input")


def calendar_kind(start: str, end: str) -> tuple[str, date] | None:
    """('year' | 'quarter' | 'month', first day) when start..end is one such period."""
    try:
        first, last = date.fromisoformat(start[:10]), date.fromisoformat(end[:10])
    except ValueError:
        return None
    for kind, months in (("month", 1), ("quarter", 3), ("year", 12)):
        if first.day == 1 and (first.month - 1) % months == 0:
            end_month = first.month + months - 1
            if end_month <= 12 and last == date(first.year, end_month,
                                                calendar.monthrange(first.year, end_month)[1]):
                return kind, first
    return None


def period_span(kind: str, first: date) -> tuple[str, str]:
    """FHIR start and end dates of the calendar period of ``kind`` starting at ``first``."""
    months = {"year": 12, "quarter": 3, "month": 1}[kind]
    end_month = first.month + months - 1
    last = date(first.year, end_month, calendar.monthrange(first.year, end_month)[1])
    return first.isoformat(), last.isoformat()


_DHIS2_PERIOD = re.compile(r"^(?P<y>\d{4})(?:Q(?P<q>[1-4])|(?P<m>0[1-9]|1[0-2]))?$")


def dhis2_period(start: str, end: str) -> str | None:
    """``2026``, ``2026Q3`` or ``202607`` for a calendar year, quarter or month."""
    found = calendar_kind(start, end)
    if found is None:
        return None
    kind, first = found
    if kind == "year":
        return f"{first.year}"
    if kind == "quarter":
        return f"{first.year}Q{(first.month - 1) // 3 + 1}"
    return f"{first.year}{first.month:02d}"


def from_dhis2_period(period: str) -> tuple[str, str] | None:
    match = _DHIS2_PERIOD.match(period)
    if not match:
        return None
    year = int(match["y"])
    if match["q"]:
        return period_span("quarter", date(year, 3 * int(match["q"]) - 2, 1))
    if match["m"]:
        return period_span("month", date(year, int(match["m"]), 1))
    return period_span("year", date(year, 1, 1))
