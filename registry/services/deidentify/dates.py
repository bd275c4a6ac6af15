"""Dates become their year plus a coarse offset from the presentation date.

Why this representation: Safe Harbor allows the year of a date and nothing finer, and a
year is a valid FHIR date and dateTime, so every date element keeps a valid value. What the
hub needs clinically is timing relative to the presentation ("started methadone 3 months
ago"), so an extension on the element carries that offset as a Duration, coarsened to weeks
(under 13 weeks), months (under 2 years) or years, consistently across the Bundle. Instants
must have full precision, so they read <year>-01-01T00:00:00Z. Set the rule to ``year`` to
keep the year alone.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

UCUM = "http://unitsofmeasure.org"
UNIT_RANK = {"d": 0, "wk": 1, "mo": 2, "a": 3}
UNIT_WORD = {"wk": "weeks", "mo": "months", "a": "years", "d": "days"}
DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_range(value: str) -> tuple[date, date, str] | None:
    """Earliest and latest day a FHIR date/dateTime/instant can mean, and its precision."""
    m = DATE.match(value)
    if not m:
        return None
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    if day:
        d = date(year, int(month), int(day))
        return d, d, "day"
    if month:
        first = date(year, int(month), 1)
        nxt = date(year + (month == "12"), int(month) % 12 + 1, 1)
        return first, nxt - timedelta(days=1), "month"
    return date(year, 1, 1), date(year, 12, 31), "year"


def offset(value: str, presented_at: date, settings: dict[str, Any]) -> tuple[int, str] | None:
    """Signed offset of ``value`` from the presentation, in the coarsest allowed unit."""
    parsed = parse_range(value)
    if parsed is None:
        return None
    lo, hi, precision = parsed
    days = ((lo - presented_at).days + (hi - presented_at).days) / 2
    floor = UNIT_RANK[settings["minimumUnitByPrecision"][precision]]
    for step in settings["steps"]:
        below = step.get("belowDays")
        if UNIT_RANK[step["unit"]] >= floor and (below is None or abs(days) < below):
            return round(days / step["days"]), step["unit"]
    return None


def truncate(value: str, type_name: str) -> str:
    year = value[:4]
    return f"{year}-01-01T00:00:00Z" if type_name == "instant" else year


def offset_extension(url: str, amount: int, unit: str) -> dict[str, Any]:
    return {"url": url, "valueDuration": {
        "value": amount, "unit": UNIT_WORD[unit], "system": UCUM, "code": unit}}


def age_range(birth: str, presented_at: date) -> tuple[int, int] | None:
    """Youngest and oldest the subject can be at the presentation, from a partial birthDate."""
    parsed = parse_range(birth)
    if parsed is None:
        return None
    lo, hi, _ = parsed
    return _age(hi, presented_at), _age(lo, presented_at)


def _age(born: date, on: date) -> int:
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return max(years, 0)
