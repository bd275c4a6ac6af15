"""Distinctive marks: a tattoo described in words identifies its bearer (Safe Harbor's 'any
other unique identifying characteristic').

The description is the clause around the word: from the last stop, colon or opening bracket
before it to the next stop after it ('tem tatuagem identificativa ("JR 1988" e uma rosa no
ombro)', 'compass rose tattoo on the back of his right hand'). Found in code, not by one
regular expression, so that a text without the word costs one search.
"""

from __future__ import annotations

import re

from .findings import Finding

MARK = re.compile(r"(?i)\b(?:tattoo(?:s|ed)?|tatuajes?|tatuad[oa]|tatuage[mn]s?|tatouage?s?|"
                  r"tatou[ée]e?)\b")
CLAUSE_START = re.compile(r"[.;:!?\n(\[]")
CLAUSE_END = re.compile(r"[.;!?\n]|\)(?![^(]*\))")
PRIORITY = 30


def find_marks(text: str) -> list[Finding]:
    found = []
    for match in MARK.finditer(text):
        before = text[max(0, match.start() - 200):match.start()]
        starts = [m.end() for m in CLAUSE_START.finditer(before)]
        start = match.start() - len(before) + (starts[-1] if starts else 0)
        end_match = CLAUSE_END.search(text, match.end(), match.end() + 200)
        end = end_match.start() if end_match else min(len(text), match.end() + 200)
        while start < match.start() and text[start].isspace():
            start += 1
        found.append(Finding(start, end, "id", PRIORITY))
    return found
