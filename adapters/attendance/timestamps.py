"""Timestamps as the exports print them, turned into UTC.

Zoom prints ``11/05/2026 02:03:15 PM`` or ISO; Teams prints ``11/5/26, 2:03:15 PM``
in the organiser's locale, so ``05/11/2026, 14:03:15`` is just as likely. Whether
``05/11`` is May or November is decided once per file, from any day above 12, so one
ambiguous row cannot be read differently from its neighbours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import quoted

_TIMESTAMP = re.compile(
    r"""^(?P<date>\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{2}(?:\d{2})?)
    [T\s,]+
    (?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?
    \s*(?P<meridiem>[ap]\.?\s?m\.?)?
    \s*(?P<offset>z|utc|[+-]\d{2}:?\d{2})?$""",
    re.VERBOSE | re.IGNORECASE,
)
_SLASH_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/\d{2,4}\b")
_EXAMPLE = "e.g. 11/05/2026 02:03:15 PM or 2026-11-05 14:03:15"


def load_zone(name: str) -> ZoneInfo:
    """The caller's IANA zone; a typo is a programming error, not a bad file."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {name!r}") from None


def infer_day_first(cells: Iterable[str]) -> bool:
    """Day-first only when some slash date cannot be month-first and none contradicts it."""
    firsts, seconds = set(), set()
    for cell in cells:
        match = _SLASH_DATE.match(cell)
        if match:
            firsts.add(int(match.group(1)))
            seconds.add(int(match.group(2)))
    return max(firsts, default=0) > 12 and max(seconds, default=0) <= 12


@dataclass
class Clock:
    """Reads one file's timestamps: its zone for naive times, its date order.

    Without a zone, naive times are read as UTC only so that the whole file is still checked;
    ``naive`` then tells the reader that the result needs a zone the caller did not give.
    """

    zone: ZoneInfo | None
    day_first: bool = False
    naive: bool = False

    def parse(self, text: str) -> datetime:
        """UTC datetime, or ValueError whose message completes 'join time …'."""
        match = _TIMESTAMP.match(text.strip())
        if not match:
            raise ValueError(f"{quoted(text)} is not a date and time ({_EXAMPLE})")
        try:
            local = datetime.combine(self._date(match["date"]), _time(match), self._tz(match))
        except ValueError:
            raise ValueError(f"{quoted(text)} is not a valid date and time") from None
        return local.astimezone(UTC)

    def show(self, moment: datetime, beside: datetime) -> str:
        """Local wall-clock text for messages; the date only when the two days differ."""
        zone = self.zone or UTC
        local, other = moment.astimezone(zone), beside.astimezone(zone)
        clock = local.strftime("%H:%M:%S" if local.second else "%H:%M")
        return clock if local.date() == other.date() else f"{local:%Y-%m-%d} {clock}"

    def _date(self, text: str) -> date:
        if "-" in text:
            year, month, day = (int(part) for part in text.split("-"))
        elif "." in text:
            day, month, year = (int(part) for part in text.split("."))
        else:
            first, second, year = (int(part) for part in text.split("/"))
            day, month = (first, second) if self.day_first else (second, first)
        return date(year + 2000 if year < 100 else year, month, day)

    def _tz(self, match: re.Match[str]) -> tzinfo:
        if match["offset"]:
            return _offset(match["offset"].lower())
        self.naive = True
        return self.zone or UTC


def _time(match: re.Match[str]) -> time:
    hour, meridiem = int(match["hour"]), (match["meridiem"] or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueError("12-hour clock out of range")
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    fraction = int((match["fraction"] or "0").ljust(6, "0"))
    return time(hour, int(match["minute"]), int(match["second"] or 0), fraction)


def _offset(offset: str) -> tzinfo:
    if offset in ("z", "utc"):
        return UTC
    sign = -1 if offset.startswith("-") else 1
    digits = offset[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
