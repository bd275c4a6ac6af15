"""How values are normalized for the index, used both when indexing and when querying.

Keeping both directions here is what guarantees that a search value and a stored value are
compared in the same form (folded strings, date ranges in epoch microseconds, number ranges).
"""

from __future__ import annotations

import calendar
import math
import re
import time
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

MAX_INDEXED = 255
MIN_TIME = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
MAX_TIME = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z

_DATE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d+))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'José  Pérez' -> 'jose perez'."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())[:MAX_INDEXED]


def clip(text: str) -> str:
    return text[:MAX_INDEXED]


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    return prefix + "\U0010ffff"


def to_micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def instant(micros: int) -> str:
    """FHIR ``instant`` text for a stored time (UTC, microseconds), from ``time.gmtime``
    fields, which is cheaper than a ``datetime``'s ``strftime`` on every page."""
    seconds, fraction = divmod(micros, 1_000_000)
    t = time.gmtime(seconds)
    return (f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{fraction:06d}Z")


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(micros: int) -> str:
    """An HTTP date (RFC 9110 IMF-fixdate), e.g. ``Last-Modified`` of a stored version.

    Formatted from ``time.gmtime`` fields: every read answers one, and ``strftime`` on a
    ``datetime`` is measurably dearer.
    """
    t = time.gmtime(micros // 1_000_000)
    return (f"{_WEEKDAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:04d} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT")


def date_range(text: str) -> tuple[int, int] | None:
    """The [low, high] interval (inclusive, µs) a FHIR date/dateTime/instant stands for."""
    match = _DATE.match(text.strip())
    if not match:
        return None
    g = match.groupdict()
    try:
        year = int(g["y"])
        if g["m"] is None:
            return _span(datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
                         if year < 9999 else None)
        month = int(g["m"])
        if g["d"] is None:
            last = calendar.monthrange(year, month)[1]
            start = datetime(year, month, 1, tzinfo=UTC)
            return to_micros(start), to_micros(start) + last * 86_400_000_000 - 1
        day = int(g["d"])
        if g["H"] is None:
            start = datetime(year, month, day, tzinfo=UTC)
            return to_micros(start), to_micros(start) + 86_400_000_000 - 1
        return _time_range(year, month, day, g)
    except ValueError:
        return None


def _span(start: datetime, end: datetime | None) -> tuple[int, int]:
    return to_micros(start), (to_micros(end) - 1) if end else MAX_TIME


def _time_range(year: int, month: int, day: int, g: dict[str, str | None]) -> tuple[int, int]:
    moment = datetime(year, month, day, int(g["H"] or 0), int(g["M"] or 0), int(g["S"] or 0))
    tz = g["tz"]
    offset = 0
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        offset = sign * (int(tz[1:3]) * 3600 + int(tz[4:6]) * 60) * 1_000_000
    base = to_micros(moment.replace(tzinfo=UTC)) - offset
    if g["f"] is not None:
        digits = g["f"][:6]
        micros = int(digits.ljust(6, "0"))
        width = 10 ** (6 - len(digits))
        return base + micros, base + micros + width - 1
    if g["S"] is not None:
        return base, base + 999_999
    return base, base + 59_999_999


DOUBLE_EXPONENT = 308  # decimal exponents a double can hold


def number_range(text: str) -> tuple[float, float] | None:
    """The interval a search number stands for given its precision: '100' -> [99.5, 100.5)."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or not -DOUBLE_EXPONENT <= value.adjusted() <= DOUBLE_EXPONENT:
        return None  # beyond what a double holds: no stored value can be compared with it
    exponent = value.as_tuple().exponent
    half = Decimal(5).scaleb(int(exponent) - 1)
    low, high = float(value - half), float(value + half)
    if not (math.isfinite(low) and math.isfinite(high)):
        return None  # beyond what a double holds: no stored value can be compared with it
    return low, high
