"""Numbers written in words: spelled-out identifiers, dates and ages over 89.

text2num finds the number words of English, Spanish, Portuguese and French (its language data
ships in the wheel). What they mean is decided here: three or more numbers in a row that
together hold five or more digits are an identifier read aloud ('five oh five, five five
five...'); a day or year in words beside a month is a date ('veintiocho de febrero', 'June
fourth nineteen sixty two'); a number from 90 up beside an age word is an age
('noventa y dos años', 'aged ninety-seven', 'Mr. Halvard, ninety-three,').
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from text_to_num import find_numbers

from .config import expand
from .findings import Finding

LANGUAGES = ("en", "es", "pt", "fr")
TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
RUN_GAP = re.compile(
    r"^[\s,.;:/\-–]*(?:(?:oh|o|tra[çc]o|tiret|gui[oó]n|dash)[\s,.;:/\-–]*)?$", re.I)
DATE_GAP = re.compile(r"^[\s,]*(?:(?:de|del|of|the|le|du|el|o)\s+)*$", re.I)
AGE_WORDS = r"(?:years?|yrs?|y/o|años|año|anos?|ans)\b"
AGE_AFTER = re.compile(rf"^[\s-]*{AGE_WORDS}", re.I)
AGE_BEFORE = re.compile(
    r"(?:aged?|age of|edad(?: de)?|idade(?: de)?|âgée?(?: de)?|tiene|tem|a|has|is|turned|"
    r"turns|cumplió|cumple|completou|fez|faz)\s*:?\s*$",
    re.I)
APPOSED_BEFORE = re.compile(r"[A-Z][\w'’-]+\s*[,(]\s*$")
APPOSED_AFTER = re.compile(r"^\s*[,;)]")
ID_PRIORITY = 70
DATE_PRIORITY = 83
AGE_PRIORITY = 80


@dataclass(frozen=True)
class Spelled:
    start: int
    end: int
    value: float
    digits: str


class _Token:
    __slots__ = ("match",)

    def __init__(self, match: re.Match[str]) -> None:
        self.match = match

    def text(self) -> str:
        return self.match.group()

    def nt_separated(self, previous: object) -> bool:
        return False

    def not_a_number_part(self) -> bool:
        return False


@cache
def _months() -> re.Pattern[str]:
    return re.compile(r"\b{MONTH}".replace("{MONTH}", expand("{MONTH}")), re.I)


def _occurrences(text: str) -> list[Spelled]:
    tokens = [_Token(m) for m in TOKEN.finditer(text)]
    found: dict[int, Spelled] = {}
    for language in LANGUAGES:
        for occ in find_numbers(tokens, language, 0.0):
            start, end = tokens[occ.start].match.start(), tokens[occ.end - 1].match.end()
            if not any(c.isalpha() for c in text[start:end]):
                continue
            current = found.get(start)
            if current is None or current.end < end:
                found[start] = Spelled(start, end, float(occ.value), occ.text)
    ordered = sorted(found.values(), key=lambda s: (s.start, -s.end))
    return [s for i, s in enumerate(ordered)
            if not any(o.start <= s.start and s.end <= o.end for o in ordered[:i])]


def _runs(text: str, spelled: list[Spelled]) -> list[list[Spelled]]:
    runs: list[list[Spelled]] = []
    for item in spelled:
        if runs and RUN_GAP.match(text[runs[-1][-1].end:item.start]):
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def _identifiers(runs: list[list[Spelled]]) -> list[Finding]:
    return [Finding(run[0].start, run[-1].end, "id", ID_PRIORITY) for run in runs
            if len(run) >= 3 and sum(len(re.sub(r"\D", "", s.digits)) for s in run) >= 5]


def _is_age(text: str, s: Spelled) -> bool:
    if not 90 <= s.value < 130:
        return False
    if AGE_AFTER.match(text[s.end:s.end + 12]):
        return True
    if AGE_BEFORE.search(text[max(0, s.start - 14):s.start]):
        return True
    if APPOSED_BEFORE.search(text[max(0, s.start - 30):s.start]) \
            and APPOSED_AFTER.match(text[s.end:s.end + 3]):
        return True  # 'Mr. Halvard, ninety-three, lives alone': the age set beside a name
    # '92 años (noventa y dos)': the same age given in digits elsewhere in the case
    return re.search(rf"(?<![\d.,]){int(s.value)}\s*-?\s*{AGE_WORDS}", text) is not None


def _ages(text: str, spelled: list[Spelled]) -> list[Finding]:
    return [Finding(s.start, s.end, "age", AGE_PRIORITY) for s in spelled if _is_age(text, s)]


def _date_tail(text: str, run: list[Spelled]) -> int:
    """End of the day and year words after a month, never a number list that follows."""
    end = run[0].end
    for item in run[1:]:
        if not DATE_GAP.match(text[end:item.start]) or "," in text[end:item.start]:
            break
        end = item.end
    return end


def _dates(text: str, runs: list[list[Spelled]]) -> list[Finding]:
    found = []
    for month in _months().finditer(text):
        start, end = month.span()
        for run in runs:
            if run[-1].end <= start and DATE_GAP.match(text[run[-1].end:start]) \
                    and run[-1].value <= 31:
                start = run[-1].start
            elif run[0].start >= end and DATE_GAP.match(text[end:run[0].start]):
                end = _date_tail(text, run)
        if (start, end) != month.span():
            found.append(Finding(start, end, "date", DATE_PRIORITY))
    return found


def find_spelled(text: str) -> list[Finding]:
    spelled = _occurrences(text)
    if not spelled:
        return []
    runs = _runs(text, spelled)
    return _identifiers(runs) + _ages(text, spelled) + _dates(text, runs)
