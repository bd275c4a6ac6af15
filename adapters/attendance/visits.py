"""One row's worth of presence, before people are merged.

All three formats reduce to the same thing: a name, maybe an address, maybe a spoke,
and a join/leave pair. Building it in one place keeps the error wording identical
whichever tool produced the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .errors import MalformedRow
from .model import Interval
from .names import clean_email, split_display_name
from .table import Row
from .timestamps import Clock


@dataclass(frozen=True)
class Identity:
    """Who a row says it is."""

    display_name: str
    email: str | None
    stated_spoke: str | None


@dataclass(frozen=True)
class Visit:
    """A join/leave pair from one row, with the identity the row states."""

    row_number: int
    who: Identity
    interval: Interval


def identify(row: Row, name: str, email: str, spoke: str = "") -> Identity:
    """Clean the identity cells; a spoke column beats the naming convention."""
    address = clean_email(email)
    if not name and not address:
        raise MalformedRow(row.number, "the attendee has neither a name nor an e-mail address")
    display, named_spoke = split_display_name(name) if name else (address or "", None)
    return Identity(display, address, spoke or named_spoke)


def read_time(row: Row, label: str, text: str, clock: Clock) -> datetime:
    """Parse one timestamp cell; errors say which column of which row."""
    if not text:
        raise MalformedRow(row.number, f"{label} is empty")
    try:
        return clock.parse(text)
    except ValueError as error:
        raise MalformedRow(row.number, f"{label} {error}") from None


def make_interval(row_number: int, start: datetime, end: datetime, clock: Clock) -> Interval:
    """Interval, or a row error worded 'leave time 10:05 is before join time 10:30'."""
    if end < start:
        raise MalformedRow(
            row_number,
            f"leave time {clock.show(end, start)} is before join time {clock.show(start, end)}",
        )
    return Interval(start, end)


@dataclass(frozen=True)
class Parsed:
    """What a format reader hands back before people are merged."""

    title: str | None
    visits: tuple[Visit, ...]
