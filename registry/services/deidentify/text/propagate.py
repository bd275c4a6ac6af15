"""Document-level propagation: a name, place or age found once is removed everywhere.

A case names its patient with a cue once ('Patient: Marcus Delacroix') and then by a first
name alone, in lower case, in capitals or with a possessive. Each word of a name or place
finding (and each age over 89) is looked for again in the whole text; words that are
clinical vocabulary (an eponym such as 'Parkinson') are left to the name rules, and an
everyday word ('Hope', 'Rose') only spreads to capitalised mentions.
"""

from __future__ import annotations

import re

from .common import is_common
from .config import fold
from .findings import Finding
from .lexicon import lexicon

SPREADING = frozenset({"name", "location", "age"})
PRIORITY = 44
MIN_LETTERS = 3


def _words(text: str, finding: Finding) -> set[str]:
    surface = text[finding.start:finding.end]
    if finding.kind == "age":
        return {surface} if surface.isdigit() else set()
    not_names = lexicon().not_names | lexicon().particles | lexicon().honorifics
    return {w for w in re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", surface)
            if len(w) >= MIN_LETTERS and fold(w) not in not_names}


def _pattern(word: str) -> re.Pattern[str]:
    flags = 0 if is_common(fold(word)) or word.isdigit() else re.IGNORECASE
    if flags == 0 and not word.isdigit():
        return re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])")
    return re.compile(rf"(?<![\w.,/-]){re.escape(word)}(?![\w-]|[.,]\d)", flags)


def propagate(text: str, findings: list[Finding]) -> list[Finding]:
    """Findings for every further mention of a word already found as a name, place or age."""
    kinds: dict[str, str] = {}
    for f in findings:
        if f.kind in SPREADING:
            for word in _words(text, f):
                kinds.setdefault(word, f.kind)
    extra = []
    for word, kind in kinds.items():
        for match in _pattern(word).finditer(text):
            extra.append(Finding(match.start(), match.end(), kind, PRIORITY))
    return extra
