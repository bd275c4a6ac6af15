"""Instruments: Questionnaires with answer keys and scales, read into a small model.

Knowledge items carry the correct option's code in the ``answer-key`` extension (one point
when answered correctly); scale items carry points on each option in the SDC/core
``ordinalValue`` extension, and reverse-coded items are flipped within the scale's range. A
knowledge instrument scores percent correct; a scale instrument the mean of its items (scale
points). The rules here are what a write of a Questionnaire or a QuestionnaireResponse must
pass: 422 otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources as package_files
from typing import Any

import orjson

from registry.errors import Issue, error

NETWORK = "https://telementoring.example.org/fhir"
KIND_EXTENSION = f"{NETWORK}/StructureDefinition/instrument-kind"
KEY_EXTENSION = f"{NETWORK}/StructureDefinition/answer-key"
REVERSE_EXTENSION = f"{NETWORK}/StructureDefinition/reverse-coded"
ORDINAL_EXTENSION = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
KINDS = ("knowledge", "self-efficacy", "satisfaction", "isolation")
LANGUAGES = ("en", "es", "pt", "fr")


@dataclass(frozen=True)
class Option:
    code: str
    display: dict[str, str]  # language -> text
    points: float | None  # ordinalValue, for scale items


@dataclass(frozen=True)
class Item:
    link_id: str
    text: dict[str, str]
    options: tuple[Option, ...]
    key: str | None  # the correct option's code (knowledge items)
    reverse: bool
    required: bool

    @property
    def scale(self) -> tuple[float, float]:
        points = [o.points for o in self.options if o.points is not None]
        return (min(points), max(points)) if points else (0.0, 0.0)

    def score(self, code: str) -> float | None:
        """Points for an answer's code (None when it names no option)."""
        option = next((o for o in self.options if o.code == code), None)
        if option is None:
            return None
        if self.key is not None:
            return 1.0 if code == self.key else 0.0
        if option.points is None:
            return None
        low, high = self.scale
        return low + high - option.points if self.reverse else option.points


@dataclass(frozen=True)
class Instrument:
    url: str
    kind: str
    title: dict[str, str]
    items: tuple[Item, ...]

    @property
    def keyed(self) -> bool:
        return self.kind == "knowledge"

    def item(self, link_id: str) -> Item | None:
        return next((i for i in self.items if i.link_id == link_id), None)

    def total(self, item_scores: dict[str, float]) -> float | None:
        """Percent correct (knowledge: unanswered counts as wrong) or the mean of the answered
        scale items; None when nothing was answered."""
        if not item_scores:
            return None
        if self.keyed:
            return 100.0 * sum(item_scores.values()) / len(self.items)
        return sum(item_scores.values()) / len(item_scores)


def kind_of(resource: dict[str, Any]) -> str | None:
    kind = _extension_value(resource, KIND_EXTENSION, "valueCode")
    return None if kind is None else str(kind)


def is_instrument(resource: dict[str, Any]) -> bool:
    return resource.get("resourceType") == "Questionnaire" and kind_of(resource) is not None


def parse(resource: dict[str, Any]) -> Instrument:
    """The model of a Questionnaire that ``check`` accepted."""
    items = tuple(_item(raw) for raw in _flat_items(resource.get("item", [])))
    return Instrument(resource.get("url", ""), kind_of(resource) or "",
                      _texts(resource, "title"), items)


def instrument_rule(resource: dict[str, Any], _resolve: Any) -> list[Issue]:
    """The write rule of the prepare step: instruments must be well formed."""
    return check(resource)


def check(resource: dict[str, Any]) -> list[Issue]:
    """What is wrong with an instrument: its kind, answer keys that name no option, scale
    items without points, reverse-coded items that are not scaled."""
    if not is_instrument(resource):
        return []
    kind = kind_of(resource)
    issues: list[Issue] = []
    if kind not in KINDS:
        issues.append(error("code-invalid", f"Instrument kind {kind!r} is not one of "
                            f"{', '.join(KINDS)}", "Questionnaire.extension"))
    if not resource.get("url"):
        issues.append(error("required", "An instrument needs a canonical url",
                            "Questionnaire.url"))
    for n, raw in enumerate(_flat_items(resource.get("item", []))):
        issues.extend(_check_item(raw, kind == "knowledge", f"Questionnaire.item[{n}]"))
    return issues


def _check_item(raw: dict[str, Any], keyed: bool, where: str) -> list[Issue]:
    link = raw.get("linkId")
    codes = [o.get("valueCoding", {}).get("code") for o in raw.get("answerOption", [])]
    key = _extension_value(raw, KEY_EXTENSION, "valueCode")
    reverse = _extension_value(raw, REVERSE_EXTENSION, "valueBoolean")
    if raw.get("type") != "choice" or not codes or None in codes:
        return [error("value", f"Item {link!r} must be a choice item with coded answer "
                      "options", where)]
    if keyed and key is None:
        return [error("required", f"Knowledge item {link!r} has no answer key", where)]
    if key is not None and key not in codes:
        return [error("value", f"The answer key of item {link!r} names no option: {key!r}",
                      f"{where}.extension")]
    points = [_extension_value(o, ORDINAL_EXTENSION, "valueDecimal")
              for o in raw.get("answerOption", [])]
    if not keyed and any(p is None for p in points):
        return [error("required", f"Every option of scale item {link!r} needs an "
                      "ordinalValue", f"{where}.answerOption")]
    if reverse and keyed:
        return [error("value", f"Knowledge item {link!r} cannot be reverse-coded", where)]
    return []


def _flat_items(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Question items, groups flattened (display items carry no answer)."""
    for raw in items:
        if raw.get("type") == "group":
            yield from _flat_items(raw.get("item", []))
        elif raw.get("type") != "display":
            yield raw


def _item(raw: dict[str, Any]) -> Item:
    options = tuple(
        Option(o["valueCoding"]["code"], _texts(o["valueCoding"], "display"),
               _number(_extension_value(o, ORDINAL_EXTENSION, "valueDecimal")))
        for o in raw.get("answerOption", []))
    return Item(raw["linkId"], _texts(raw, "text"), options,
                _extension_value(raw, KEY_EXTENSION, "valueCode"),
                bool(_extension_value(raw, REVERSE_EXTENSION, "valueBoolean")),
                bool(raw.get("required")))


def _texts(element: dict[str, Any], name: str) -> dict[str, str]:
    """A text in English and in every translation the element carries."""
    texts = {"en": str(element.get(name, ""))}
    for ext in element.get(f"_{name}", {}).get("extension", []):
        if ext.get("url") == TRANSLATION:
            parts = {p.get("url"): p for p in ext.get("extension", [])}
            lang = parts.get("lang", {}).get("valueCode")
            content = parts.get("content", {}).get("valueString")
            if lang and content:
                texts[lang] = content
    return texts


def text_in(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or texts.get("en", "")


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _extension_value(element: dict[str, Any], url: str, key: str) -> Any:
    for ext in element.get("extension", []):
        if ext.get("url") == url:
            return ext.get(key)
    return None


@cache
def bundled() -> dict[str, dict[str, Any]]:
    """The network's own instruments (``schemas/questionnaires``), by canonical url."""
    folder = package_files.files("schemas") / "questionnaires"
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.endswith(".json"):
            resource = orjson.loads(path.read_bytes())
            found[resource["url"]] = resource
    return found


def program_language(program: dict[str, Any]) -> str:
    """The language a program is run in (its first supported communication), else English."""
    for concept in program.get("communication", []):
        for coding in concept.get("coding", []):
            code = str(coding.get("code", ""))[:2]
            if code in LANGUAGES:
                return code
    return "en"
