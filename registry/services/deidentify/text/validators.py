"""Checks that confirm or trim a regular-expression match, named from scrub.json.

Each takes the text and the matched span and returns the span to replace (possibly narrowed)
or ``None`` to drop the match. Checksums come from python-stdnum where it has the scheme.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from stdnum import luhn
from stdnum.cl import rut
from stdnum.fr import nir

from .config import fold
from .lexicon import lexicon
from .names import lower_name_word

Span = tuple[int, int]
Validator = Callable[[str, int, int], Span | None]
TRAILING_URL = ".,;:!?)»\"'"
YEAR = re.compile(r"^(?:19|20)\d{2}$")


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def trim_url(text: str, start: int, end: int) -> Span | None:
    while end > start and text[end - 1] in TRAILING_URL:
        end -= 1
    return (start, end) if end - start > 4 else None


def ipv4(text: str, start: int, end: int) -> Span | None:
    try:
        ipaddress.IPv4Address(text[start:end])
    except ValueError:
        return None
    return start, end


def ipv6(text: str, start: int, end: int) -> Span | None:
    candidate = text[start:end]
    if candidate.count(":") < 2 or not any(c.isalnum() for c in candidate):
        return None
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return None
    return start, end


def cns(text: str, start: int, end: int) -> Span | None:
    """Brazilian Cartão Nacional de Saúde: 15 digits, weighted sum divisible by 11."""
    digits = _digits(text[start:end])
    total = sum(int(d) * (15 - i) for i, d in enumerate(digits))
    return (start, end) if len(digits) == 15 and total % 11 == 0 else None


def rut_check(text: str, start: int, end: int) -> Span | None:
    return (start, end) if rut.is_valid(text[start:end]) else None


def luhn_check(text: str, start: int, end: int) -> Span | None:
    return (start, end) if luhn.is_valid(_digits(text[start:end])) else None


def nir_check(text: str, start: int, end: int) -> Span | None:
    compact = re.sub(r"[ .]", "", text[start:end]).upper()
    if len(compact) == 13:
        return start, end
    return (start, end) if len(compact) == 15 and nir.is_valid(compact) else None


def numeric_date(text: str, start: int, end: int) -> Span | None:
    a, b = (int(p) for p in re.split(r"[/.-]", text[start:end])[:2])
    day_first = 1 <= a <= 31 and 1 <= b <= 12
    month_first = 1 <= a <= 12 and 1 <= b <= 31
    return (start, end) if day_first or month_first else None


def cued_day_month(text: str, start: int, end: int) -> Span | None:
    """Keep the cue word ('desde', 'on') and replace only the day/month."""
    match = re.search(r"\d{1,2}/\d{1,2}$", text[start:end])
    return (start + match.start(), end) if match else None


def id_token(text: str, start: int, end: int) -> Span | None:
    while end > start and text[end - 1] in ".-/":
        end -= 1
    token = text[start:end]
    if len(_digits(token)) < 4 or YEAR.match(token):
        return None
    return start, end


def not_region(text: str, start: int, end: int) -> Span | None:
    """A town after 'vive en' is scrubbed; a country or first-level region is kept, and so is
    clinical vocabulary ('moved from Lisinopril to Losartan')."""
    lex = lexicon()
    words = [fold(w) for w in re.findall(r"[^\W\d_]+", text[start:end])]
    if fold(text[start:end]) in lex.regions or words and all(w in lex.not_names for w in words):
        return None
    return start, end


def plate(text: str, start: int, end: int) -> Span | None:
    token = text[start:end]
    has_both = any(c.isdigit() for c in token) and any(c.isalpha() for c in token)
    return (start, end) if has_both and len(token.replace(" ", "").replace("-", "")) >= 5 \
        else None


def alnum_id(text: str, start: int, end: int) -> Span | None:
    """Letters and five or more digits in one hyphenated token; not 'SARS-CoV-2'."""
    return (start, end) if len(_digits(text[start:end])) >= 5 else None


SCORE_CUE = re.compile(
    r"\b(?:score|scale|escala|eva|vas|nrs|pain|dolor|dor|douleur|strength|fuerza|for[çc]a|force|"
    r"dose|dosis|ratio|grade|grado|grau|mg|x|pa|ta|bp|tension|presion|pressao)\W*$")
UNIT_AFTER = re.compile(r"^\s*(?:mg|mcg|µg|ml|g|%|tab|comp|cp|mmhg|cmh2o)\b", re.IGNORECASE)


def day_month(text: str, start: int, end: int) -> Span | None:
    """'9/29' and '5/5' are dates; '7/10' (a score out of ten) and '16/4 mg' are not."""
    a, b = (int(p) for p in text[start:end].split("/"))
    if b == 10 or not (1 <= a <= 12 or 1 <= b <= 12) or UNIT_AFTER.match(text[end:end + 8]):
        return None
    if SCORE_CUE.search(fold(text[max(0, start - 24):start])):
        return None
    return start, end


def broken_email(text: str, start: int, end: int) -> Span | None:
    """An address split by a line break is one when its joined domain ends in a TLD."""
    domain = re.sub(r"\s+", "", text[start:end].split("@", 1)[1])
    return (start, end) if re.search(r"\.[A-Za-z]{2,}$", domain) else None


def three_digits(text: str, start: int, end: int) -> Span | None:
    """Three digits or more, and a letter: 'FK-418-PW', not a date or a range."""
    token = text[start:end]
    enough = len(_digits(token)) >= 3 and any(c.isalpha() for c in token)
    return (start, end) if enough else None


def letters_and_digits(text: str, start: int, end: int) -> Span | None:
    token = text[start:end]
    mixed = any(c.isdigit() for c in token) and any(c.isalpha() for c in token)
    return (start, end) if mixed else None


def name_words(text: str, start: int, end: int) -> Span | None:
    """Every word could be part of a name: 'kez', 'taís', not 'patient sous méthadone'."""
    lex = lexicon()
    words = re.findall(r"[^\W\d_]+", text[start:end])
    if not words or any(w.isupper() for w in words):
        return None  # 'IGRA', 'TB': an acronym
    return (start, end) if all(lower_name_word(fold(w), lex) for w in words) else None


def speaker(text: str, start: int, end: int) -> Span | None:
    """A chat line's speaker ('taís (enf):'): any word but vocabulary and acronyms, and even
    a word of vocabulary when the same speaker opens several lines of the chat."""
    words = re.findall(r"[^\W\d_]+", text[start:end])
    if not words or any(w.isupper() for w in words):
        return None
    if any(fold(w) in lexicon().not_names for w in words) and not _speaks_again(text, start, end):
        return None
    return start, end


def _speaks_again(text: str, start: int, end: int) -> bool:
    name = re.escape(text[start:end])
    return len(re.findall(rf"(?m)^[ \t]*{name}\s*\([^\W\d_]{{2,8}}\.?\)\s*:", text)) >= 2


def serial(text: str, start: int, end: int) -> Span | None:
    """A device serial holds three digits or more and is not a year ('série 2019')."""
    token = text[start:end]
    return None if len(_digits(token)) < 3 or YEAR.match(token) else (start, end)


def not_vocabulary(text: str, start: int, end: int) -> Span | None:
    """A quoted nickname is a name unless it is clinical vocabulary ('el "Rivotril"')."""
    return None if fold(text[start:end]) in lexicon().not_names else (start, end)


def slashed_id(text: str, start: int, end: int) -> Span | None:
    """'24/0912334': six digits or more with a group of four, not 'YYYY/YYYY'."""
    groups = text[start:end].split("/")
    if sum(len(g) for g in groups) < 6 or max(len(g) for g in groups) < 4:
        return None
    return None if all(YEAR.match(g) for g in groups) else (start, end)


VALIDATORS: dict[str, Validator] = {
    "slashed-id": slashed_id,
    "serial": serial,
    "not-vocabulary": not_vocabulary,
    "speaker": speaker,
    "name-words": name_words,
    "day-month": day_month,
    "broken-email": broken_email,
    "three-digits": three_digits,
    "letters-and-digits": letters_and_digits,
    "plate": plate,
    "alnum-id": alnum_id,
    "trim-url": trim_url,
    "ipv4": ipv4,
    "ipv6": ipv6,
    "cns": cns,
    "rut": rut_check,
    "luhn": luhn_check,
    "nir": nir_check,
    "numeric-date": numeric_date,
    "cued-day-month": cued_day_month,
    "id-token": id_token,
    "not-region": not_region,
}
