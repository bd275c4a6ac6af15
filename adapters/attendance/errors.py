"""Errors raised while reading an attendance export.

Every message is a single line a hub coordinator can act on, naming the spreadsheet
row when one is to blame, because these messages end up in an upload form or a CLI.
"""

from __future__ import annotations

import re

_WHITESPACE = re.compile(r"\s+")


class AttendanceFileError(Exception):
    """Base class: the uploaded file cannot be turned into an attendance report."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.filename: str | None = None

    def describe(self) -> str:
        """The message without the file name; subclasses add their location."""
        return self.message

    def __str__(self) -> str:
        text = _WHITESPACE.sub(" ", self.describe()).strip()
        return f"{self.filename}: {text}" if self.filename else text


class UnknownFormat(AttendanceFileError):
    """Not a Zoom or Teams participant export (or not text at all)."""


class EmptyReport(AttendanceFileError):
    """A recognised export, or an empty file, that lists no attendees."""


class MissingTimeZone(AttendanceFileError):
    """The times have no zone and the caller named none: guessing UTC would shift them."""


class MalformedRow(AttendanceFileError):
    """One row (or the header row) cannot be read; the whole file is refused."""

    def __init__(self, row_number: int, message: str) -> None:
        super().__init__(message)
        self.row_number = row_number
        self.args = (row_number, message)

    def describe(self) -> str:
        return f"row {self.row_number}: {self.message}"


def quoted(value: str, limit: int = 40) -> str:
    """Cell text for an error message: quoted, one line, never a wall of text."""
    text = _WHITESPACE.sub(" ", value).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"'{text}'"
