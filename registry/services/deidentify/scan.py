"""Residual identifiers in stored resources: what the scrubber would still find in their text.

Rules improve after records are stored; an operator scans what is already in the database
with the rules of today (``registry deid scan``). Only free text is read (narratives,
``text``, ``display``, string values, notes): codes, ids, references and hashes are the
structure the allow-list already judged. A finding is reported by resource and kind, never
by value, so the report itself discloses nothing.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from registry.storage import resources
from registry.storage.database import Connection

from .text import find_identifiers

CASE_TYPES = ("Bundle", "Composition", "Condition", "Observation", "MedicationStatement")
FREE_TEXT = frozenset({"div", "text", "display", "title", "description", "comment",
                       "valueString", "valueMarkdown", "summary", "note"})
TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Residue:
    reference: str  # Type/id
    kinds: Counter[str]  # identifier kind -> how many


def free_texts(node: Any, key: str = "") -> Iterator[str]:
    """Every free-text string of a resource tree, narratives as plain text."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield from free_texts(value, name)
    elif isinstance(node, list):
        for value in node:
            yield from free_texts(value, key)
    elif isinstance(node, str) and key in FREE_TEXT:
        yield html.unescape(TAG.sub(" ", node)) if key == "div" else node


def residue(resource: dict[str, Any]) -> Counter[str]:
    """Kinds and counts of identifiers still found in the free text of ``resource``."""
    kinds: Counter[str] = Counter()
    for text in free_texts(resource):
        kinds.update(f.kind for f in find_identifiers(text))
    return kinds


def scan(rows: Iterable[tuple[str, str, str]]) -> Iterator[Residue]:
    """Residues of stored ``(type, id, JSON)`` rows; rows with nothing left are skipped."""
    for res_type, res_id, content in rows:
        kinds = residue(orjson.loads(content))
        if kinds:
            yield Residue(f"{res_type}/{res_id}", kinds)


def scan_stored(conn: Connection, types: Iterable[str] = CASE_TYPES) -> tuple[int, list[Residue]]:
    """How many current resources of ``types`` were read, and the residues found in them."""
    rows = resources.current_of_types(conn, tuple(types))
    return len(rows), list(scan(rows))
