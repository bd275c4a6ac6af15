"""Word lists for name detection, folded for case- and accent-insensitive look-up."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .config import fold, lexicon_file, scrub_rules


@dataclass(frozen=True)
class Lexicon:
    given: frozenset[str]
    given_ambiguous: frozenset[str]
    surnames: frozenset[str]
    surnames_ambiguous: frozenset[str]
    any_name: frozenset[str]
    not_names: frozenset[str]
    regions: frozenset[str]
    phrases: dict[str, tuple[tuple[str, ...], ...]]  # first word -> protected multi-word phrases
    honorifics: frozenset[str]
    cues: tuple[str, ...]
    particles: frozenset[str]
    verbs: frozenset[str]
    clinical_suffixes: tuple[str, ...]
    place_prefixes: frozenset[str]
    eponyms: frozenset[str]
    clinical_heads: frozenset[str]
    place_suffixes: frozenset[str]
    name_prefixes: frozenset[str]


def _folded(words: list[str]) -> frozenset[str]:
    return frozenset(fold(w) for w in words)


def _phrases(entries: list[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for entry in entries:
        words = tuple(fold(w) for w in entry.replace("-", " ").split())
        if len(words) > 1:
            by_first.setdefault(words[0], []).append(words)
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in by_first.items()}


@cache
def lexicon() -> Lexicon:
    given = lexicon_file("given-names")
    surnames = lexicon_file("surnames")
    not_names = lexicon_file("not-names")
    names_cfg = scrub_rules()["names"]
    plain = [w for key in ("drugs", "scales", "eponyms", "programmes", "words")
             for w in not_names[key]]
    regions = not_names["regions"]
    every = [*given["names"], *given["ambiguous"], *surnames["names"], *surnames["ambiguous"]]
    return Lexicon(
        any_name=_folded(every),
        given=_folded(given["names"]) - _folded(given["ambiguous"]),
        given_ambiguous=_folded(given["ambiguous"]),
        surnames=_folded(surnames["names"]) - _folded(surnames["ambiguous"]),
        surnames_ambiguous=_folded(surnames["ambiguous"]),
        not_names=_folded([w for w in plain if " " not in w]),
        regions=_folded(regions),
        phrases=_phrases(plain + regions),
        honorifics=_folded(names_cfg["honorifics"]),
        cues=tuple(sorted((fold(c) for c in names_cfg["cues"]), key=len, reverse=True)),
        particles=_folded(names_cfg["particles"]),
        verbs=_folded(names_cfg["verbs"]),
        clinical_suffixes=tuple(fold(x) for x in names_cfg["clinicalSuffixes"]),
        place_prefixes=_folded(names_cfg["placePrefixes"]),
        eponyms=_folded([w for w in not_names["eponyms"] if " " not in w]),
        clinical_heads=_folded(names_cfg["clinicalHeads"]),
        place_suffixes=_folded(names_cfg["placeSuffixes"]),
        name_prefixes=_folded(names_cfg["namePrefixes"]),
    )
