"""Read the participant reports of Zoom and Microsoft Teams.

Hubs download these after each session; this package turns one file into who
attended, from when to when (UTC), with rejoins and duplicate rows merged, so the
registry can record the session's Encounter participants. It is independent of
the registry and reads bytes only: no network, no files of its own.

Supported: Zoom participants export (with or without the meeting summary block),
Teams attendance report (UTF-16 tab-separated or UTF-8 comma-separated), and the
older Teams attendance list (``Full Name, User Action, Timestamp``).

    >>> report = read_report(data, timezone="America/Bogota")  # doctest: +SKIP
    >>> [(a.display_name, a.stated_spoke, round(a.minutes)) for a in report.attendees]

Exceptions (every message is one line and names the row at fault)::

    AttendanceFileError            the file cannot become a report
     ├── UnknownFormat             not Zoom/Teams, not text, a workbook or PDF
     ├── MalformedRow              a bad row or header: row_number, message
     ├── EmptyReport               empty file, or a table with no attendees
     └── MissingTimeZone           naive times and no ``timezone`` given (``None``)

An unknown ``timezone`` name is a caller bug and raises ``ValueError``.
"""

from .errors import (
    AttendanceFileError,
    EmptyReport,
    MalformedRow,
    MissingTimeZone,
    UnknownFormat,
)
from .model import AttendanceReport, Attendee, Interval
from .reader import read_report

__all__ = [
    "AttendanceFileError",
    "AttendanceReport",
    "Attendee",
    "EmptyReport",
    "Interval",
    "MalformedRow",
    "MissingTimeZone",
    "UnknownFormat",
    "read_report",
]
