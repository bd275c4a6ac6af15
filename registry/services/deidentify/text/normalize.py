"""A view of the text in which disguised identifiers look ordinary, mapped back to the original.

Digits written in superscript or full width ('⁴⁴⁷²', '５０２') read as ASCII digits after
NFKC (the ordinal indicators º and ª stay as they are, as the address and date rules expect);
zero-width characters and soft hyphens hidden inside a number or a name are dropped; a
number or a word broken across a line after a hyphen or an '@' is joined. The
recognizers run on this view and each span is mapped back, so the original characters,
disguise included, are what gets replaced.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
KEPT = frozenset("ºª")  # ordinal indicators: NFKC would make '2º izq.' read '2o izq.'

BROKEN_LINE = re.compile(r"(?<=\w[-@])\r?\n[ \t]*(?=\w)")


@dataclass(frozen=True)
class View:
    text: str
    origin: tuple[int, ...]  # origin[i]: index in the original text of view character i

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span covering view characters ``start`` to ``end``."""
        if start >= end:
            at = self.origin[start] if start < len(self.origin) else len(self.origin)
            return at, at
        return self.origin[start], self.origin[end - 1] + 1


def _folded(char: str) -> str:
    if char in INVISIBLE:
        return ""
    if char.isascii() or char in KEPT:
        return char
    folded = unicodedata.normalize("NFKC", char)
    # only folds that keep one character: digits and full-width forms, never ligatures
    return folded if len(folded) == 1 else char


def normalize(text: str) -> View:
    """The view of ``text`` that the recognizers read."""
    breaks = {i for m in BROKEN_LINE.finditer(text) for i in range(m.start(), m.end())}
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if index in breaks:
            continue
        folded = _folded(char)
        if folded:
            chars.append(folded)
            origin.append(index)
    return View("".join(chars), tuple(origin))
