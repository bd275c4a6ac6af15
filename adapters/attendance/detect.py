"""Which tool wrote this file, with which delimiter, and where its tables are.

Detection keys on header rows, never on section titles or file names: titles are
localised and files get renamed, but a header row containing "Name (Original Name)"
or "First Join" is unmistakable. The delimiter is whichever one makes such a header
appear, so tab-separated Teams files with commas inside their dates still work.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .errors import UnknownFormat
from .table import Row, Table, header_key, split_rows, table_at

_DELIMITERS = ("\t", ";", ",")


class Kind(Enum):
    """What a header row introduces."""

    ZOOM = "zoom"
    TEAMS_TOTALS = "teams-totals"  # "2. Participants": first join / last leave per person
    TEAMS_JOINS = "teams-joins"  # "3. In-Meeting Activities": one row per join
    TEAMS_LEGACY = "teams-legacy"

    @property
    def source_format(self) -> str:
        return "teams" if self in (Kind.TEAMS_TOTALS, Kind.TEAMS_JOINS) else self.value


def header_kind(row: Row) -> Kind | None:
    """Classify a row as a known header, or None for data and summary rows."""
    keys = {header_key(cell) for cell in row.cells}
    timed = bool(keys & {"join time", "leave time"})
    if "user action" in keys:
        return Kind.TEAMS_LEGACY
    if keys & {"name (original name)", "user name (original name)"} or (
        "user email" in keys and timed
    ):
        return Kind.ZOOM
    if keys & {"first join", "last leave", "in-meeting duration"}:
        return Kind.TEAMS_TOTALS
    if timed and keys & {"name", "full name"} and keys & {"email", "role", "duration"}:
        return Kind.TEAMS_JOINS
    return None


@dataclass(frozen=True)
class Layout:
    """The file split into rows, with every recognised header's position."""

    rows: tuple[Row, ...]
    headers: dict[int, Kind]

    @property
    def source_format(self) -> str:
        """Legacy beats new Teams beats Zoom: the rarer signature is the stronger one."""
        formats = {kind.source_format for kind in self.headers.values()}
        return next(name for name in ("teams-legacy", "teams", "zoom") if name in formats)

    def tables(self, kind: Kind) -> list[Table]:
        return [
            table_at(self.rows, position, self.headers)
            for position, found in sorted(self.headers.items())
            if found is kind
        ]

    def before_first_table(self) -> tuple[Row, ...]:
        """Summary rows (meeting title and the like) precede the participants."""
        return self.rows[: min(self.headers)]


def locate(text: str) -> Layout:
    """Split with the first delimiter under which a known header row appears."""
    for delimiter in _DELIMITERS:
        rows = split_rows(text, delimiter)
        headers = {index: kind for index, row in enumerate(rows) if (kind := header_kind(row))}
        if headers:
            return Layout(rows, headers)
    raise UnknownFormat(
        "no Zoom or Teams participant table found; expected a header row such as "
        "'Name (Original Name), User Email, Join Time, Leave Time' or "
        "'Name, First Join, Last Leave, In-Meeting Duration, Email'"
    )
