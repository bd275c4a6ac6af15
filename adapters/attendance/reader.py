"""The one entry point: bytes in, a complete report or an error out.

Nothing partial ever escapes: every row is read and validated before attendees are
built, so a file with one bad row is refused as a whole and can be fixed and
re-uploaded without leaving half a session recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from . import teams, teams_legacy, zoom
from .decoding import decode
from .detect import Layout, locate
from .errors import AttendanceFileError, EmptyReport, MissingTimeZone
from .merge import group_attendees
from .model import AttendanceReport
from .timestamps import Clock, infer_day_first, load_zone
from .visits import Parsed

_READERS: dict[str, Callable[[Layout, Clock], Parsed]] = {
    "zoom": zoom.parse,
    "teams": teams.parse,
    "teams-legacy": teams_legacy.parse,
}
_LABELS = {"zoom": "Zoom", "teams": "Teams", "teams-legacy": "Teams (legacy)"}


def read_report(
    data: bytes,
    *,
    timezone: str | None = "UTC",
    filename: str | None = None,
    day_first: bool | None = None,
) -> AttendanceReport:
    """Parse a Zoom or Teams participant export.

    ``timezone`` is the IANA zone of naive timestamps in the file (times with an
    offset keep it); ``None`` when the caller does not know it, and then a file with naive
    times raises :class:`MissingTimeZone` (after every row was checked) rather than
    guessing. ``filename`` only prefixes error messages. ``day_first`` forces
    how ``05/11/2026`` is read; by default a file is month-first unless one of its
    dates has a day above 12 in first position.

    Raises :class:`AttendanceFileError` subclasses for bad files and ``ValueError``
    for an unknown ``timezone``.
    """
    zone = load_zone(timezone) if timezone is not None else None
    try:
        return _read(data, zone, day_first)
    except AttendanceFileError as error:
        error.filename = filename
        raise


def _read(data: bytes, zone: ZoneInfo | None, day_first: bool | None) -> AttendanceReport:
    layout = locate(decode(data))
    if day_first is None:
        day_first = infer_day_first(cell for row in layout.rows for cell in row.cells)
    source = layout.source_format
    clock = Clock(zone, day_first)
    parsed = _READERS[source](layout, clock)
    if not parsed.visits:
        raise EmptyReport(f"the {_LABELS[source]} export lists no attendees")
    if clock.naive and zone is None:
        raise MissingTimeZone(f"the {_LABELS[source]} export's times carry no time zone "
                              "(name the zone they were written in, e.g. America/Lima)")
    return AttendanceReport(source, parsed.title, group_attendees(parsed.visits))
