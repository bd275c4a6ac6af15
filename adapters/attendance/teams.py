"""Microsoft Teams attendance report (the format in use since 2021).

Sections "1. Summary" (key/value rows), "2. Participants" (first join and last leave
per person) and "3. In-Meeting Activities" (one row per join). Per-join rows are
the truth when present: first-join-to-last-leave would count the gaps of someone
who dropped out for half the session. Every table is still validated.
"""

from __future__ import annotations

from dataclasses import replace

from . import columns
from .detect import Kind, Layout
from .names import clean_email, name_key
from .table import Row, Table, header_key
from .timestamps import Clock
from .visits import Parsed, Visit, identify, make_interval, read_time


def parse(layout: Layout, clock: Clock) -> Parsed:
    """Visits from the activities section, or from the participants section without it."""
    joins = _visits(layout.tables(Kind.TEAMS_JOINS), clock)
    totals = _visits(layout.tables(Kind.TEAMS_TOTALS), clock)
    visits = _borrow_addresses(joins, totals) if joins else totals
    return Parsed(_title(layout.before_first_table()), tuple(visits))


def _borrow_addresses(joins: list[Visit], totals: list[Visit]) -> list[Visit]:
    """The activities section has no UPN column; take the address the totals row has."""
    known = {name_key(v.who.display_name): v.who.email for v in totals if v.who.email}
    return [_with_address(visit, known) for visit in joins]


def _with_address(visit: Visit, known: dict[str, str]) -> Visit:
    address = known.get(name_key(visit.who.display_name))
    if visit.who.email or not address:
        return visit
    return replace(visit, who=replace(visit.who, email=address))


def _visits(tables: list[Table], clock: Clock) -> list[Visit]:
    return [visit for table in tables for visit in _table_visits(table, clock)]


def _table_visits(table: Table, clock: Clock) -> list[Visit]:
    name = table.require(*columns.TEAMS_NAME)
    join, leave = table.require(*columns.TEAMS_JOIN), table.require(*columns.TEAMS_LEAVE)
    email, upn = table.find(*columns.TEAMS_EMAIL), table.find(*columns.TEAMS_UPN)
    spoke = table.find(*columns.SPOKE)
    visits = []
    for row in table.rows:
        who = identify(row, row.cell(name), _address(row, email, upn), row.cell(spoke))
        start = read_time(row, "join time", row.cell(join), clock)
        end = read_time(row, "leave time", row.cell(leave), clock)
        visits.append(Visit(row.number, who, make_interval(row.number, start, end, clock)))
    return visits


def _address(row: Row, email: int | None, upn: int | None) -> str:
    """Email column, else the UPN when it is an address (guests have none)."""
    return row.cell(email) if clean_email(row.cell(email)) else row.cell(upn)


def _title(summary: tuple[Row, ...]) -> str | None:
    for row in summary:
        if header_key(row.cell(0)) in columns.TEAMS_TITLE_KEYS and row.cell(1):
            return row.cell(1)
    return None
