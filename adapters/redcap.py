"""Responses exported from REDCap (or a spreadsheet) as CSV, read into plain rows.

One row per mentee and instrument: a ``mentee`` column (the PractitionerRole, ``ID`` or
``PractitionerRole/ID``), an optional date column (``authored``, or REDCap's
``<instrument>_timestamp``), and one column per item. REDCap variable names cannot hold
hyphens, so an item ``sud-1`` may be the column ``sud_1``; REDCap's own bookkeeping columns
(``record_id``, ``redcap_*``, ``*_complete``) are ignored. Nothing here knows the registry.

    RedcapError   one line naming the row (1 is the header) and what is wrong with it
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

MENTEE_COLUMNS = ("mentee", "practitionerrole", "mentee_role")
IGNORED = re.compile(r"^(record_id|redcap_.*|.*_complete)$")
DATE = re.compile(r"^(authored|.*_timestamp)$")


class RedcapError(ValueError):
    """A file that cannot be read; the message names the row."""


@dataclass(frozen=True)
class RedcapRow:
    line: int  # the CSV row, the header being 1
    mentee: str
    authored: str | None  # YYYY-MM-DD
    answers: dict[str, str]  # column (as in the file) -> raw value, blanks left out


def read_csv(data: bytes) -> list[RedcapRow]:
    """Rows of a REDCap or spreadsheet CSV export (UTF-8, with or without BOM)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RedcapError(f"row 1: the file is not UTF-8 ({exc.reason})") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    mentee = next((c for c in columns if c.lower() in MENTEE_COLUMNS), None)
    if mentee is None:
        raise RedcapError("row 1: no mentee column (mentee: the PractitionerRole id)")
    rows = []
    for n, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        if not row.get(mentee):
            raise RedcapError(f"row {n}: the mentee is empty")
        stamp = next((row[c] for c in columns if DATE.match(c.lower()) and row.get(c)), None)
        answers = {c: row[c] for c in columns
                   if c != mentee and not DATE.match(c.lower()) and not IGNORED.match(c.lower())
                   and row.get(c)}
        rows.append(RedcapRow(n, row[mentee], stamp[:10] if stamp else None, answers))
    if not rows:
        raise RedcapError("row 2: the file holds no responses")
    return rows
