"""Document-level propagation: a name, place or age found once is removed everywhere.

A case names its patient with a cue once ('Patient: Marcus Delacroix') and then by a first
name alone, in lower case, in capitals or with a possessive. Each word of a name or place
finding (and each age over 89) is looked for again in the whole text. An everyday word
('Hope', 'Rose') only spreads to capitalised mentions. An eponym found inside a person's name
('Evaristo Chagas Mamani') spreads only where it stands beside another word of that name
('Chagas Mamani's sister'), never to 'Chagas disease'; with an honorific ('Sr. Chagas') the
name rules find it anyway. Other clinical vocabulary never spreads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

from .common import is_common
from .config import fold
from .findings import Finding
from .lexicon import lexicon

SPREADING = frozenset({"name", "location", "age"})
PRIORITY = 44
MIN_LETTERS = 3
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
BEFORE = re.compile(r"([^\W\d_]+) $")
AFTER = re.compile(r" ([^\W\d_]+)")


def _words(text: str, finding: Finding) -> set[str]:
    surface = text[finding.start:finding.end]
    if finding.kind == "age":
        return {surface} if surface.isdigit() else set()
    return {w for w in WORD.findall(surface)
            if len(w) >= MIN_LETTERS and fold(w) not in _never_spread()}


@cache
def _never_spread() -> frozenset[str]:
    lex = lexicon()
    return lex.not_names | lex.particles | lex.honorifics


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _patterns(words: list[str]) -> list[re.Pattern[str]]:
    """One pass per rule: an everyday word as written, a number alone, other words in any case."""
    common = [w for w in words if not w.isdigit() and is_common(fold(w))]
    numbers = [w for w in words if w.isdigit()]
    rare = [w for w in words if w not in common and w not in numbers]
    found = []
    if common:
        found.append(re.compile(rf"(?<![\w-])(?:{_alternation(common)})(?![\w-])"))
    for group, flags in ((numbers, 0), (rare, re.IGNORECASE)):
        if group:
            found.append(re.compile(
                rf"(?<![\w.,/-])(?:{_alternation(group)})(?![\w-]|[.,]\d)", flags))
    return found


def propagate(text: str, findings: list[Finding]) -> list[Finding]:
    """Findings for every further mention of a word already found as a name, place or age."""
    kinds: dict[str, str] = {}
    for f in findings:
        if f.kind in SPREADING:
            for word in _words(text, f):
                kinds.setdefault(fold(word), f.kind)
    extra = []
    words = list({w for f in findings if f.kind in SPREADING for w in _words(text, f)})
    for pattern in _patterns(words):
        for match in pattern.finditer(text):
            kind = kinds.get(fold(match.group()), "name")
            extra.append(Finding(match.start(), match.end(), kind, PRIORITY))
    return extra + _eponyms_beside(text, findings, {fold(w) for w in words})


def _eponyms_beside(text: str, findings: list[Finding], others: set[str]) -> list[Finding]:
    """Eponyms of found names, where they stand next to another word of a found name."""
    eponyms = lexicon().eponyms
    names = [text[f.start:f.end] for f in findings if f.kind == "name"]
    found = {w for n in names for w in WORD.findall(n) if w[0].isupper() and fold(w) in eponyms}
    extra: list[Finding] = []
    if not found or not others:
        return extra
    pattern = re.compile(rf"(?<![\w-])(?:{_alternation(sorted(found))})(?![\w-])")
    for match in pattern.finditer(text):
        before = BEFORE.search(text, max(0, match.start() - 40), match.start())
        after = AFTER.match(text, match.end())
        beside = {fold(m.group(1)) for m in (before, after) if m is not None}
        if beside & others:
            extra.append(Finding(match.start(), match.end(), "name", PRIORITY))
    return extra


def find_known(text: str, known: Mapping[str, str]) -> list[Finding]:
    """Every mention of a value the case gives elsewhere as an identifier, in any case."""
    found = []
    for value, kind in known.items():
        pattern = rf"(?<![\w.,/-]){re.escape(value)}(?![\w-]|[.,]\d)"
        found += [Finding(m.start(), m.end(), kind, PRIORITY)
                  for m in re.finditer(pattern, text, re.IGNORECASE)]
    return found
