"""Loads the scrubbing rules (``schemas/deidentification/scrub.json``) and lexicons once.

The JSON is the single source of what counts as an identifier in free text; this module only
turns it into compiled regular expressions and folded word sets, lazily, so importing the
package costs nothing and every later call reuses the same objects.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

FOLDED_WORDS = 1 << 16
UPPER = "A-ZÁÉÍÓÚÑÇÂÊÔÃÕÀÈÌÒÙÜÏËÎÛŒ"
CAPWORD = f"[{UPPER}][\\w'’.-]*"
NAMEWORD = f"[{UPPER}][\\w'’-]*"
PARTICLE = "(?:de|del|la|las|los|da|das|do|dos|e|y|des|du|d')"
CONNECT = "(?:de|del|da|do|dos|das|la|las|los|el|y|e)"
EXPANSIONS = {
    "{DAY}": "(?:0?[1-9]|[12]\\d|3[01])",
    "{YEAR}": "(?:19|20)\\d{2}",
    "{NAMEWORDS}": f"{NAMEWORD}(?:\\s+(?:{CONNECT}\\s+)?{NAMEWORD}){{0,3}}",
    "{STREETWORDS}": (
        f"(?-i:(?:{PARTICLE}\\s+){{0,2}}(?:{CAPWORD}|\\d+[A-Za-z]?)"
        f"(?:\\s+(?:{CAPWORD}|\\d+[A-Za-z]?|{PARTICLE})){{0,5}})"
    ),
}


@lru_cache(maxsize=FOLDED_WORDS)
def fold(word: str) -> str:
    """Case- and accent-insensitive key: 'José' and 'JOSE' are the same lexicon entry.

    Kept for the words seen last: the same words come back in every case of a program.
    """
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class PatternRule:
    kind: str
    priority: int
    regex: re.Pattern[str]
    group: int
    validator: str | None


def trie_regex(words: Iterable[str]) -> str:
    """A regular expression for exactly ``words``, its branches merged by common prefix.

    Python's engine tries a plain alternation one word after another at every position; a
    word list of a few hundred cues is several times faster as a trie.
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_branch(trie)


def _trie_branch(node: dict[str, Any]) -> str:
    branches = [re.escape(char) + _trie_branch(child) for char, child in sorted(node.items())
                if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


def _schema_text(*parts: str) -> str:
    path = resources.files("schemas").joinpath("deidentification", *parts)
    return path.read_text(encoding="utf-8")


@cache
def scrub_rules() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(_schema_text("scrub.json"))
    return found


@cache
def lexicon_file(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(_schema_text("lexicon", f"{name}.json"))
    return found


def _month_alternation(months: dict[str, list[str]], skip: frozenset[str]) -> str:
    words = [m for lang in months.values() for m in lang if m not in skip]
    words.sort(key=len, reverse=True)
    return "(?:" + "|".join(words) + ")(?!\\w)"


def expand(template: str) -> str:
    """Replace the {PLACEHOLDERS} of scrub.json patterns with their regular expressions."""
    rules = scrub_rules()
    months = rules["months"]
    out = template
    for key, value in EXPANSIONS.items():
        out = out.replace(key, value)
    out = out.replace("{MONTHNOMAY}", _month_alternation(months, frozenset({"May"})))
    out = out.replace("{MONTHCAP}", _month_alternation({"en": months["en"]}, frozenset()))
    return out.replace("{MONTH}", _month_alternation(months, frozenset()))


@cache
def pattern_rules() -> tuple[PatternRule, ...]:
    compiled = []
    for spec in scrub_rules()["patterns"]:
        flags = re.IGNORECASE if "i" in spec.get("flags", "") else 0
        compiled.append(PatternRule(
            kind=spec["kind"],
            priority=int(spec["priority"]),
            regex=re.compile(expand(spec["regex"]), flags),
            group=int(spec.get("group", 0)),
            validator=spec.get("validator"),
        ))
    return tuple(compiled)


def placeholder(kind: str) -> str:
    return str(scrub_rules()["placeholders"].get(kind, f"[{kind.upper()}]"))
