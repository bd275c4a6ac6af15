"""Everyday words of English, Spanish, Portuguese and French, to tell 'Low Mood' from a name.

A capitalised word that no lexicon knows is taken for a proper noun (fail safe), unless its
lower-case form is a common word in one of the network's languages: title-cased headings
and terms ('Behavioral Health', 'Morning Sickness') then survive. The frequency lists are
pyspellchecker's (MIT, shipped inside the package, no download); spell-checking lists leave
most proper names out, which is what makes them fit here. Loaded once, on first use.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib import resources

from .config import fold, scrub_rules

LANGUAGES = ("en", "es", "pt", "fr")


def _frequencies(language: str) -> dict[str, int]:
    data = resources.files("spellchecker").joinpath("resources", f"{language}.json.gz")
    found: dict[str, int] = json.loads(gzip.decompress(data.read_bytes()))
    return found


@cache
def common_words() -> frozenset[str]:
    per_million = float(scrub_rules()["names"]["commonWordPerMillion"])
    words: set[str] = set()
    for language in LANGUAGES:
        counts = _frequencies(language)
        cutoff = sum(counts.values()) * per_million / 1_000_000
        words.update(fold(w) for w, n in counts.items() if n >= cutoff)
    return frozenset(words)


def is_common(key: str) -> bool:
    """``key`` is a folded word; True if it is an everyday word in some network language."""
    return key in common_words()
