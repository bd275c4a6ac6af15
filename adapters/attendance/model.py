"""The parsed report: who attended, and when, in UTC.

These value objects are what the registry turns into Encounter participants; they
carry no knowledge of the file they came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Interval:
    """One stretch of presence; both ends timezone-aware UTC, ``end >= start``."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.utcoffset() != timedelta(0) or self.end.utcoffset() != timedelta(0):
            raise ValueError("Interval bounds must be timezone-aware UTC datetimes")
        if self.end < self.start:
            raise ValueError(f"Interval ends ({self.end}) before it starts ({self.start})")

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


@dataclass(frozen=True)
class Attendee:
    """One person, after rejoins and duplicate rows are folded together."""

    display_name: str
    email: str | None
    stated_spoke: str | None
    intervals: tuple[Interval, ...]

    @property
    def minutes(self) -> float:
        """Time actually present; intervals are already merged, so no double counting."""
        return sum(interval.minutes for interval in self.intervals)


@dataclass(frozen=True)
class AttendanceReport:
    """Everything read from one export file."""

    source_format: str
    meeting_title: str | None
    attendees: tuple[Attendee, ...]
