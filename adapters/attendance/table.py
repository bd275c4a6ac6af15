"""Rows and tables inside an export.

Exports are not one rectangular CSV: Zoom may put a meeting summary above the
participants, Teams stacks numbered sections. A :class:`Table` is one header row
plus the rows under it, up to the next blank row or section title. Row numbers are
1-based and count every record, so they match what a spreadsheet shows.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import MalformedRow

_SECTION_TITLE = re.compile(r"^\d+\.\s+\S")


def header_key(cell: str) -> str:
    """Header text compared case- and spacing-insensitively ('First join' == 'First Join')."""
    return " ".join(cell.replace("\ufeff", "").split()).casefold()


@dataclass(frozen=True)
class Row:
    """One record of the file with its spreadsheet row number."""

    number: int
    cells: tuple[str, ...]

    def cell(self, index: int | None) -> str:
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index].strip()

    @property
    def is_blank(self) -> bool:
        return not any(cell.strip() for cell in self.cells)

    @property
    def is_section_title(self) -> bool:
        """'3. In-Meeting Activities' and the like: a lone numbered label."""
        filled = [cell for cell in self.cells if cell.strip()]
        return len(filled) == 1 and bool(_SECTION_TITLE.match(self.cells[0].strip()))


def split_rows(text: str, delimiter: str) -> tuple[Row, ...]:
    """All records of the file, blank ones included so numbering stays honest."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[Row] = []
    try:
        for number, cells in enumerate(reader, start=1):
            rows.append(Row(number, tuple(cells)))
    except csv.Error as error:
        raise MalformedRow(len(rows) + 1, f"cannot be read as CSV ({error})") from None
    return tuple(rows)


@dataclass(frozen=True)
class Table:
    """A header row and the data rows beneath it."""

    header: Row
    rows: tuple[Row, ...]

    def find(self, *names: str) -> int | None:
        """Index of the first listed header present (any case); the last copy if repeated.

        Zoom's "with meeting data" export repeats ``User Email`` (host, then
        participant); the participant's copy is always the later one.
        """
        keys = [header_key(cell) for cell in self.header.cells]
        for name in names:
            wanted = header_key(name)
            matches = [index for index, key in enumerate(keys) if key == wanted]
            if matches:
                return matches[-1]
        return None

    def require(self, *names: str) -> int:
        """Like :meth:`find`, but a missing column is an error on the header row."""
        index = self.find(*names)
        if index is None:
            found = ", ".join(cell.strip() for cell in self.header.cells if cell.strip())
            raise MalformedRow(
                self.header.number,
                f"missing required column '{names[0]}' (found: {found})",
            )
        return index


def table_at(rows: tuple[Row, ...], position: int, is_header: Iterable[int]) -> Table:
    """The table whose header is ``rows[position]``; ends at a blank, title or header."""
    headers = set(is_header)
    body: list[Row] = []
    for index in range(position + 1, len(rows)):
        row = rows[index]
        if row.is_blank or row.is_section_title or index in headers:
            break
        body.append(row)
    return Table(rows[position], tuple(body))
