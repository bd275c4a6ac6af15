"""The pre-2021 Teams attendance list: one row per event.

``Full Name, User Action, Timestamp`` with actions ``Joined``, ``Joined before``
(already present when the list started) and ``Left``. The list was usually
downloaded while the meeting was still running, so someone who never left is
counted as present until the last event in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from . import columns
from .detect import Kind, Layout
from .errors import MalformedRow, quoted
from .names import name_key
from .table import Table
from .timestamps import Clock
from .visits import Identity, Parsed, Visit, identify, make_interval, read_time

_JOINED = frozenset({"joined", "joined before"})
_LEFT = frozenset({"left"})


@dataclass(frozen=True)
class _Event:
    row_number: int
    who: Identity
    joined: bool
    at: datetime


def parse(layout: Layout, clock: Clock) -> Parsed:
    """Pair each person's joins and leaves, in file order."""
    tables = layout.tables(Kind.TEAMS_LEGACY)
    events = [event for table in tables for event in _events(table, clock)]
    people: dict[str, list[_Event]] = {}
    for event in events:
        people.setdefault(event.who.email or name_key(event.who.display_name), []).append(event)
    end_of_list = max((event.at for event in events), default=None)
    visits = [visit for mine in people.values() for visit in _pair(mine, end_of_list, clock)]
    return Parsed(None, tuple(visits))


def _events(table: Table, clock: Clock) -> list[_Event]:
    name, action = table.require(*columns.LEGACY_NAME), table.require(*columns.LEGACY_ACTION)
    stamp, email = table.require(*columns.LEGACY_TIME), table.find(*columns.TEAMS_EMAIL)
    events = []
    for row in table.rows:
        who = identify(row, row.cell(name), row.cell(email))
        verb = " ".join(row.cell(action).split()).casefold()
        if verb not in _JOINED | _LEFT:
            message = f"user action {quoted(row.cell(action))} is not 'Joined' or 'Left'"
            raise MalformedRow(row.number, message)
        at = read_time(row, "timestamp", row.cell(stamp), clock)
        events.append(_Event(row.number, who, verb in _JOINED, at))
    return events


def _pair(events: list[_Event], end_of_list: datetime | None, clock: Clock) -> list[Visit]:
    visits, opened = [], None
    for event in events:
        if event.joined:
            opened = opened or event
        elif opened is None:
            name = quoted(event.who.display_name)
            raise MalformedRow(event.row_number, f"{name} left without having joined")
        else:
            interval = make_interval(event.row_number, opened.at, event.at, clock)
            visits.append(Visit(opened.row_number, opened.who, interval))
            opened = None
    if opened is not None and end_of_list is not None:
        interval = make_interval(opened.row_number, opened.at, end_of_list, clock)
        visits.append(Visit(opened.row_number, opened.who, interval))
    return visits
