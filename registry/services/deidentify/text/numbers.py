"""Long digit runs: phone numbers, or identifiers of a shape no pattern knows.

Fail safe: a run of ``minimumDigits`` or more digits is removed unless a unit follows it
("1 200 000 copias/mL") or a laboratory cue precedes it ("carga viral 1250000"). Whether it is
reported as a phone or an identifier only changes the placeholder; phonenumbers' metadata for
the regions of the network decides that when no cue word does.
"""

from __future__ import annotations

import re
from functools import cache

import phonenumbers

from .config import fold, scrub_rules
from .findings import Finding

CANDIDATE = re.compile(
    r"(?<![\w.,/+-])(?:\+\s?)?(?:\(\s?\d{1,4}\s?\)\s?)?\d+(?:(?:[ .\-]|\s-\s)\(?\d+\)?)*(?![\w/])"
)
YEAR_RANGE = re.compile(r"^(?:19|20)\d{2}\s?-\s?(?:19|20)\d{2}$")
NEXT_WORD = re.compile(r"\s*([^\s\d][^\s,;:()]*)")
PREFIX = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]{0,6}(?:[-/][A-Z0-9]{1,6})*[ #:-]{1,2}$")
SUFFIX = re.compile(r"[ -][A-Z]{1,3}\d?(?![\w-])")
POSTCODE_DIGITS = 5
PHONE_PRIORITY = 40
ID_PRIORITY = 30
POSTCODE_PRIORITY = 29


@cache
def _settings() -> tuple[int, tuple[str, ...], frozenset[str], tuple[str, ...], tuple[str, ...]]:
    cfg = scrub_rules()["numbers"]
    return (
        int(cfg["minimumDigits"]),
        tuple(cfg["phoneRegions"]),
        frozenset(fold(u) for u in cfg["units"]),
        tuple(fold(c) for c in cfg["phoneCues"]),
        tuple(fold(c) for c in cfg["labCues"]),
    )


def _unit_follows(text: str, end: int, units: frozenset[str]) -> bool:
    match = NEXT_WORD.match(text, end)
    if not match:
        return False
    word = fold(match.group(1))
    per_unit = word.startswith("/") and len(word) > 1  # '/mL'; a lone '/' separates two numbers
    return any(word == u or word.startswith(u + "/") for u in units) or per_unit


def _cue_before(text: str, start: int, cues: tuple[str, ...], window: int = 30) -> bool:
    before = fold(text[max(0, start - window):start])
    words = re.findall(r"[\w.]+", before)
    tail = " ".join(words[-4:])
    return any(re.search(rf"(?<!\w){re.escape(c)}(?!\w)", tail) for c in cues)


def _is_phone(candidate: str, regions: tuple[str, ...]) -> bool:
    for region in (None,) if candidate.startswith("+") else regions:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


def _classify(text: str, start: int, end: int) -> Finding | None:
    minimum, regions, units, phone_cues, lab_cues = _settings()
    candidate = text[start:end].strip()
    digits = sum(c.isdigit() for c in candidate)
    if YEAR_RANGE.match(candidate) or _unit_follows(text, end, units) \
            or _cue_before(text, start, lab_cues):
        return None
    if digits < minimum:
        return _postcode(candidate, start, end)
    phone = (candidate[0] in "+(" or _cue_before(text, start, phone_cues)
             or (digits <= 13 and _is_phone(candidate, regions)))
    return Finding(start, end, "phone" if phone else "id",
                   PHONE_PRIORITY if phone else ID_PRIORITY)


@cache
def _cue_prefixes() -> frozenset[str]:
    """Cue words before a number ('CEP', 'MRN') stay: they say what was removed."""
    return frozenset(scrub_rules()["numbers"]["cuePrefixes"])


def _postcode(candidate: str, start: int, end: int) -> Finding | None:
    """A bare five-digit number with no unit: in case text, a postal code more than a dose."""
    if candidate.isdigit() and len(candidate) == POSTCODE_DIGITS:
        return Finding(start, end, "postcode", POSTCODE_PRIORITY)
    return None


def _with_letters(text: str, finding: Finding) -> Finding:
    """An identifier leaves no letter prefix or suffix behind ('AME 973 0412', 'PJN 604118 H')."""
    start, end = finding.start, finding.end
    prefix = PREFIX.search(text[max(0, start - 24):start])
    if prefix and prefix.group().strip(" #:-") not in _cue_prefixes():
        start -= len(prefix.group())
    suffix = SUFFIX.match(text, end)
    if suffix:
        end = suffix.end()
    return Finding(start, end, finding.kind, finding.priority)


def _balanced(text: str, start: int, end: int) -> int:
    """End of the span without a closing bracket that belongs to the sentence."""
    if text[end - 1] == ")" and text.count("(", start, end) < text.count(")", start, end):
        return end - 1
    return end


def find_numbers(text: str) -> list[Finding]:
    found = []
    for match in CANDIDATE.finditer(text):
        start, end = match.span()
        finding = _classify(text, start, _balanced(text, start, end))
        if finding is not None:
            found.append(_with_letters(text, finding) if finding.kind != "postcode" else finding)
    return found
