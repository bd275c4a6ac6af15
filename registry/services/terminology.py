"""Network terminology: the CodeSystems and ValueSets under ``schemas/terminology``, plus
ISO 3166 countries and BCP-47 languages, which are far too large to ship as JSON and are
answered from the ``pycountry`` / ``langcodes`` libraries instead.

Everything is loaded once and cached; the module is pure (no database, no Flask), so the
profile engine, the HTTP operations (``$expand``, ``$lookup``, ``$validate-code``) and the
demo generator all share one source of truth.
"""

from __future__ import annotations

import copy
import gettext
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from importlib import resources as package_files
from typing import Any, Protocol

import langcodes
import pycountry

from registry.errors import InvalidRequest, NotFound, error

BASE = "https://telementoring.example.org/fhir"
ISO_3166 = "urn:iso:std:iso:3166"
BCP_47 = "urn:ietf:bcp:47"
NETWORK_LANGUAGES = ("en", "es", "pt", "fr")
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Concept:
    """One code with its English display, translations and (shipped systems only) properties."""

    code: str
    display: str
    designations: tuple[tuple[str, str], ...] = ()  # (BCP-47 language, text)
    properties: tuple[dict[str, Any], ...] = ()

    def display_in(self, language: str | None) -> str:
        """Display in ``language`` (exact tag, then primary subtag), falling back to English."""
        return _pick(self.designations, language) or self.display


class CodeSource(Protocol):
    """What the operations need from a code system, shipped or library-backed."""

    url: str
    name: str
    version: str | None

    def concept(self, code: str) -> Concept | None: ...

    def defines(self, code: str) -> bool:
        """Cheap membership test (no translations built)."""

    def concepts(self) -> Iterable[Concept] | None:
        """Every concept, or None when the system is too large to enumerate."""


def _pick(designations: Iterable[tuple[str, str]], language: str | None) -> str | None:
    if not language:
        return None
    wanted = language.lower()
    primary = wanted.split("-")[0]
    fallback = None
    for tag, value in designations:
        tag = tag.lower()
        if tag == wanted:
            return value
        if fallback is None and tag.split("-")[0] == primary:
            fallback = value
    return fallback


@dataclass
class ShippedCodeSystem:
    """A CodeSystem resource from ``schemas/terminology``."""

    url: str
    name: str
    version: str | None
    by_code: dict[str, Concept]

    @classmethod
    def from_resource(cls, resource: dict[str, Any]) -> ShippedCodeSystem:
        concepts = {c["code"]: _concept(c) for c in resource.get("concept", [])}
        return cls(resource["url"], resource.get("title") or resource["name"],
                   resource.get("version"), concepts)

    def concept(self, code: str) -> Concept | None:
        return self.by_code.get(code)

    def defines(self, code: str) -> bool:
        return code in self.by_code

    def concepts(self) -> Iterable[Concept]:
        return self.by_code.values()


def _concept(raw: dict[str, Any], fallback: Concept | None = None) -> Concept:
    designations = tuple((d["language"], d["value"]) for d in raw.get("designation", [])
                         if d.get("language"))
    if fallback is not None:
        designations = designations or fallback.designations
    display = raw.get("display") or (fallback.display if fallback else raw["code"])
    return Concept(raw["code"], display, designations, tuple(raw.get("property", ())))


@lru_cache(maxsize=64)
def _translator(domain: str, language: str) -> gettext.NullTranslations:
    """pycountry's gettext catalogue for ``language`` (``pt-BR`` tries pt_BR, then pt)."""
    tags = [language.replace("-", "_"), language.split("-")[0]]
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=tags, fallback=True)


def _translations(domain: str, english: str) -> tuple[tuple[str, str], ...]:
    return tuple((lang, _translator(domain, lang).gettext(english)) for lang in NETWORK_LANGUAGES)


class Iso3166:
    """ISO 3166-1 countries, names translated by pycountry. Alpha-2 and alpha-3 codes are
    both defined; enumeration lists the alpha-2 codes, the ones addresses use."""

    url = ISO_3166
    name = "ISO 3166-1 Codes for the representation of names of countries"
    version: str | None = None

    def concept(self, code: str) -> Concept | None:
        country = _country(code)
        return None if country is None else _country_concept(code, country)

    def defines(self, code: str) -> bool:
        return _country(code) is not None

    def concepts(self) -> Iterator[Concept]:
        for country in pycountry.countries:
            yield _country_concept(country.alpha_2, country)


def _country(code: str) -> Any | None:
    if not code or code != code.upper():
        return None
    if not code.isalpha() or len(code) not in (2, 3):
        return None
    if len(code) == 2:
        return pycountry.countries.get(alpha_2=code)
    return pycountry.countries.get(alpha_3=code)


def _country_concept(code: str, country: Any) -> Concept:
    return Concept(code, country.name, _translations("iso3166-1", country.name))


class Bcp47:
    """BCP-47 language tags: validity from langcodes, names from pycountry's ISO 639 data."""

    url = BCP_47
    name = "Tags for the Identification of Languages (BCP-47)"
    version: str | None = None

    def concept(self, code: str) -> Concept | None:
        if not self.defines(code):
            return None
        parts = langcodes.Language.get(code, normalize=False)
        language = _language_name(parts.language)
        if not language:
            return Concept(code, code)  # valid but unnamed (private use, 'und', ...)
        territory = _country(parts.territory or "")
        names = [(language, "iso639-3")] + ([(territory.name, "iso3166-1")] if territory else [])
        designations = tuple(
            (lang, _compose_name([_translator(d, lang).gettext(n) for n, d in names]))
            for lang in NETWORK_LANGUAGES)
        return Concept(code, _compose_name([n for n, _ in names]), designations)

    def defines(self, code: str) -> bool:
        return bool(code) and langcodes.tag_is_valid(code)

    def concepts(self) -> None:
        return None


def _language_name(subtag: str | None) -> str:
    if not subtag:
        return ""
    key = "alpha_2" if len(subtag) == 2 else "alpha_3"
    found = pycountry.languages.get(**{key: subtag})
    return found.name if found else ""


def _compose_name(names: list[str]) -> str:
    """'Spanish' or 'Spanish (Argentina)'."""
    return names[0] if len(names) == 1 else f"{names[0]} ({', '.join(names[1:])})"


@dataclass(frozen=True)
class Include:
    """One ``compose.include`` / ``exclude`` entry, in the subset this registry supports."""

    system: str
    enumerated: dict[str, Concept] | None = None
    code_pattern: re.Pattern[str] | None = None

    def has(self, source: CodeSource, code: str) -> bool:
        if self.code_pattern and not self.code_pattern.fullmatch(code):
            return False
        if self.enumerated is not None and code not in self.enumerated:
            return False
        return source.defines(code)

    def members(self, source: CodeSource) -> Iterable[Concept] | None:
        if self.enumerated is not None:
            return self.enumerated.values()
        everything = source.concepts()
        if everything is None:
            return None
        pattern = self.code_pattern
        return (c for c in everything if not pattern or pattern.fullmatch(c.code))


@dataclass
class CompiledValueSet:
    resource: dict[str, Any]
    includes: list[Include] = field(default_factory=list)
    excludes: list[Include] = field(default_factory=list)


@dataclass
class Catalog:
    resources: list[dict[str, Any]]
    systems: dict[str, CodeSource]
    value_sets: dict[str, CompiledValueSet]


def _compile_include(raw: dict[str, Any], systems: dict[str, CodeSource]) -> Include:
    unsupported = set(raw) - {"system", "concept", "filter"}
    system = raw.get("system")
    if unsupported or system not in systems:
        raise ValueError(f"unsupported ValueSet include {raw!r}")
    pattern = None
    for f in raw.get("filter", []):
        if (f.get("property"), f.get("op")) != ("code", "regex") or pattern is not None:
            raise ValueError(f"unsupported ValueSet filter {f!r}")
        pattern = re.compile(f["value"])
    enumerated = None
    if "concept" in raw:
        source = systems[system]
        enumerated = {c["code"]: _concept(c, _fallback(source, c)) for c in raw["concept"]}
    return Include(system, enumerated, pattern)


def _fallback(source: CodeSource, raw: dict[str, Any]) -> Concept | None:
    """The code system's own concept, for what a ValueSet concept leaves out; looked up only
    then, because a library-backed look-up loads a whole table (ISO 639-3: 7,900 languages and
    their translations, about 9 MB in every process that compiles the catalogue)."""
    if raw.get("display") and any(d.get("language") for d in raw.get("designation", [])):
        return None
    return source.concept(raw["code"])


def _read_shipped() -> list[dict[str, Any]]:
    folder = package_files.files("schemas") / "terminology"
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".json"))
    return [json.loads((folder / n).read_text(encoding="utf-8")) for n in names]


@cache
def catalog() -> Catalog:
    """Load and compile every shipped CodeSystem and ValueSet (once per process)."""
    shipped = _read_shipped()
    systems: dict[str, CodeSource] = {ISO_3166: Iso3166(), BCP_47: Bcp47()}
    for r in shipped:
        if r["resourceType"] == "CodeSystem":
            systems[r["url"]] = ShippedCodeSystem.from_resource(r)
    value_sets = {}
    for r in shipped:
        if r["resourceType"] == "ValueSet":
            compose = r.get("compose", {})
            value_sets[r["url"]] = CompiledValueSet(
                r, [_compile_include(i, systems) for i in compose.get("include", [])],
                [_compile_include(i, systems) for i in compose.get("exclude", [])])
    return Catalog(shipped, systems, value_sets)


def resources() -> list[dict[str, Any]]:
    """Deep copies of every shipped CodeSystem and ValueSet, e.g. to serve or to load."""
    return copy.deepcopy(catalog().resources)


def _canonical(url: str) -> str:
    return url.split("|", 1)[0]


def value_set(url: str) -> CompiledValueSet:
    found = catalog().value_sets.get(_canonical(url or ""))
    if found is None:
        raise NotFound(f"ValueSet '{url}' is not known to this registry", "ValueSet.url")
    return found


def code_system(url: str) -> CodeSource:
    found = catalog().systems.get(_canonical(url or ""))
    if found is None:
        raise NotFound(f"CodeSystem '{url}' is not known to this registry", "CodeSystem.url")
    return found


@lru_cache(maxsize=8192)
def validate_code(valueset_url: str, system: str | None, code: str) -> bool:
    """Is ``system|code`` in the value set? ``system=None`` accepts any system it includes.
    Cached: the profile engine asks the same few questions for every resource."""
    vs = value_set(valueset_url)
    systems = catalog().systems

    def hit(parts: list[Include]) -> bool:
        return any((system is None or i.system == system) and i.has(systems[i.system], code)
                   for i in parts)

    return bool(code) and hit(vs.includes) and not hit(vs.excludes)


def display(system: str, code: str, language: str | None = None) -> str | None:
    """The display of a code in ``language`` (English fallback), or None if unknown."""
    source = catalog().systems.get(_canonical(system))
    concept = source.concept(code) if source else None
    return concept.display_in(language) if concept else None


def _check_language(language: str | None) -> None:
    if language and not langcodes.tag_is_valid(language):
        raise InvalidRequest(f"displayLanguage '{language}' is not a valid BCP-47 tag",
                             "Parameters.parameter.where(name='displayLanguage')")


def _fold(text: str) -> list[str]:
    """Accent- and case-insensitive words, so 'adiccion' finds 'adicción'."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    return re.findall(r"\w+", plain)


def _matches(filter_words: list[str], concept: Concept, shown: str) -> bool:
    words = _fold(shown) + _fold(concept.code)
    return all(any(w.startswith(f) for w in words) for f in filter_words)


def _members(vs: CompiledValueSet, url: str) -> Iterator[tuple[str, Concept]]:
    systems = catalog().systems
    for include in vs.includes:
        members = include.members(systems[include.system])
        if members is None:
            raise InvalidRequest(error(
                "too-costly", f"ValueSet '{url}' includes all of {include.system}, which cannot "
                "be enumerated; use $validate-code instead", "ValueSet.compose.include"))
        for concept in members:
            if not any(x.system == include.system and x.has(systems[x.system], concept.code)
                       for x in vs.excludes):
                yield include.system, concept


def expand(valueset_url: str, display_language: str | None = None,
           filter: str | None = None) -> dict[str, Any]:
    """The value set with an ``expansion``: displays in ``display_language`` (English fallback),
    restricted to concepts whose display or code has words starting with each filter word."""
    _check_language(display_language)
    vs = value_set(valueset_url)
    words = _fold(filter or "")
    contains = []
    for system, concept in _members(vs, valueset_url):
        shown = concept.display_in(display_language)
        if _matches(words, concept, shown):
            contains.append({"system": system, "code": concept.code, "display": shown})
    result = {k: copy.deepcopy(v) for k, v in vs.resource.items() if k != "compose"}
    result["expansion"] = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "total": len(contains),
        **({"parameter": _expansion_parameters(display_language, filter)}
           if display_language or filter else {}),
        "contains": contains,
    }
    return result


def _expansion_parameters(language: str | None, text: str | None) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    if language:
        params.append({"name": "displayLanguage", "valueCode": language})
    if text:
        params.append({"name": "filter", "valueString": text})
    return params


def lookup(system: str, code: str, display_language: str | None = None) -> dict[str, Any]:
    """A ``Parameters`` resource as ``CodeSystem/$lookup`` returns it: name, version, display,
    one ``designation`` per translation and one ``property`` per concept property."""
    _check_language(display_language)
    source = code_system(system)
    concept = source.concept(code) if code else None
    if concept is None:
        raise InvalidRequest(f"Code '{code}' is not defined in CodeSystem '{system}'",
                             "Parameters.parameter.where(name='code')")
    params: list[dict[str, Any]] = [{"name": "name", "valueString": source.name}]
    if source.version:
        params.append({"name": "version", "valueString": source.version})
    params.append({"name": "display", "valueString": concept.display_in(display_language)})
    params += [{"name": "designation", "part": [{"name": "language", "valueCode": lang},
                                                {"name": "value", "valueString": text}]}
               for lang, text in concept.designations]
    params += [_property_parameter(p) for p in concept.properties]
    return {"resourceType": "Parameters", "parameter": params}


def _property_parameter(prop: dict[str, Any]) -> dict[str, Any]:
    value_key = next(k for k in prop if k.startswith("value"))
    return {"name": "property", "part": [{"name": "code", "valueCode": prop["code"]},
                                         {"name": "value", value_key: prop[value_key]}]}
