"""Zoom's meeting participants export.

Two layouts exist: a meeting summary (``Meeting ID, Topic, Start Time, ...``), a
blank row, then the participants table; or the table alone. Time spent in the
waiting room is listed on rows marked ``In Waiting Room = Yes`` and is not
attendance, so those rows are read (to catch errors) but not counted.
"""

from __future__ import annotations

from . import columns
from .detect import Kind, Layout
from .table import Row, Table, header_key
from .timestamps import Clock
from .visits import Parsed, Visit, identify, make_interval, read_time

_YES = frozenset({"yes", "sí", "si", "sim", "true", "1"})


def parse(layout: Layout, clock: Clock) -> Parsed:
    """All participant rows of every Zoom table in the file."""
    tables = layout.tables(Kind.ZOOM)
    visits = [visit for table in tables for visit in _table_visits(table, clock)]
    return Parsed(_title(layout, tables[0]), tuple(visits))


def _table_visits(table: Table, clock: Clock) -> list[Visit]:
    name = table.require(*columns.ZOOM_NAME)
    join, leave = table.require(*columns.ZOOM_JOIN), table.require(*columns.ZOOM_LEAVE)
    email, spoke = table.find(*columns.ZOOM_EMAIL), table.find(*columns.SPOKE)
    waiting = table.find(*columns.ZOOM_WAITING_ROOM)
    visits = []
    for row in table.rows:
        who = identify(row, row.cell(name), row.cell(email), row.cell(spoke))
        start = read_time(row, "join time", row.cell(join), clock)
        end = read_time(row, "leave time", row.cell(leave), clock)
        interval = make_interval(row.number, start, end, clock)
        if row.cell(waiting).casefold() not in _YES:
            visits.append(Visit(row.number, who, interval))
    return visits


def _title(layout: Layout, table: Table) -> str | None:
    """The Topic from the summary block, else from a Topic column in the table."""
    for above, below in zip(layout.before_first_table(), layout.rows[1:], strict=False):
        keys = [header_key(cell) for cell in above.cells]
        if "topic" in keys:
            return below.cell(keys.index("topic")) or None
    topic = table.find(*columns.ZOOM_TOPIC)
    return _first_filled(table.rows, topic)


def _first_filled(rows: tuple[Row, ...], index: int | None) -> str | None:
    return next((row.cell(index) for row in rows if row.cell(index)), None)
