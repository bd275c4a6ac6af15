"""The network's indicators: the Measure resources under ``schemas/measures``, read once.

Reports, disclosure control, roll-up and the exchange formats all need the same few facts
about a Measure (how it is scored, which stratifiers partition its population, which other
measure's figures it shares); this module reads them from the Measure JSON so that they are
written in one place, as data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from fhir.resources.R4B.measure import Measure

BASE = "https://telementoring.example.org/fhir"
SD = f"{BASE}/StructureDefinition"
INDICATOR_SYSTEM = f"{BASE}/CodeSystem/indicator"
STRATIFIER_SYSTEM = f"{BASE}/CodeSystem/measure-stratifier"
POPULATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-population"
AGGREGATE_METHOD = "http://hl7.org/fhir/us/cqfmeasures/StructureDefinition/cqfm-aggregateMethod"
SCORING_UNIT = "http://hl7.org/fhir/us/cqfmeasures/StructureDefinition/cqfm-scoringUnit"
PARTITION = f"{SD}/stratifier-partition"
STRATUM_OF = f"{SD}/population-stratum-of"
SUBSET_OF = f"{SD}/population-subset-of"
LANGUAGES = ("es", "pt", "fr")
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"


@dataclass(frozen=True)
class Stratifier:
    code: str
    partition: bool  # every member in exactly one stratum (strata add up to the total)


@dataclass(frozen=True)
class StratumOf:
    """This measure's population is one stratum of another measure's."""

    measure: str  # canonical URL
    stratifier: str
    value: str


@dataclass(frozen=True)
class Indicator:
    """What the rest of the outcomes package needs to know about one Measure."""

    key: str
    url: str
    version: str
    title: str
    scoring: str  # cohort | proportion | continuous-variable
    method: str | None  # sum | average | median, for continuous variables
    unit: str | None  # UCUM code of the score
    improvement: str  # increase | decrease
    stratifiers: tuple[Stratifier, ...]
    stratum_of: StratumOf | None = None
    subset_of: str | None = None

    @property
    def populations(self) -> tuple[str, ...]:
        """The population codes a report of this measure counts."""
        if self.scoring == "cohort":
            return ("initial-population",)
        if self.scoring == "proportion":
            return ("denominator", "numerator")
        return ("measure-population",)

    @property
    def carries_sum(self) -> bool:
        """Whether figures carry the sum of observations (sums and means)."""
        return self.method in ("sum", "average")

    def stratifier(self, code: str) -> Stratifier | None:
        return next((s for s in self.stratifiers if s.code == code), None)


class Catalogue(Mapping[str, Indicator]):
    """Indicators by canonical URL; ``by_key`` finds one by its key."""

    def __init__(self, indicators: list[Indicator]) -> None:
        self._by_url = {i.url: i for i in indicators}
        self._by_key = {i.key: i for i in indicators}

    def __getitem__(self, url: str) -> Indicator:
        return self._by_url[url.split("|")[0]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_url)

    def __len__(self) -> int:
        return len(self._by_url)

    def by_key(self, key: str) -> Indicator:
        return self._by_key[key]


def indicator_of(measure: dict[str, Any]) -> Indicator:
    """The facts of one Measure resource (validated with the R4B model first)."""
    Measure.model_validate(measure)
    group = measure["group"][0]
    key = group["code"]["coding"][0]["code"]
    return Indicator(
        key=key, url=measure["url"], version=measure["version"], title=measure["title"],
        scoring=_code(measure["scoring"]), method=_method(group),
        unit=_unit(measure), improvement=_code(measure["improvementNotation"]),
        stratifiers=tuple(Stratifier(_code(s["code"]), _partition(s))
                          for s in group.get("stratifier", [])),
        stratum_of=_stratum_of(measure), subset_of=_extension(measure, SUBSET_OF, "valueCanonical"))


def measure_resources() -> list[dict[str, Any]]:
    """Every Measure under ``schemas/measures``, in file-name order."""
    folder = resources.files("schemas") / "measures"
    files = sorted((f for f in folder.iterdir() if f.name.startswith("Measure-")),
                   key=lambda f: f.name)
    return [json.loads(f.read_text(encoding="utf-8")) for f in files]


@cache
def catalogue() -> Catalogue:
    """The network's indicators, read once."""
    return Catalogue([indicator_of(m) for m in measure_resources()])


def _code(concept: dict[str, Any]) -> str:
    return str(concept["coding"][0]["code"])


def _method(group: dict[str, Any]) -> str | None:
    for population in group["population"]:
        method = _extension(population, AGGREGATE_METHOD, "valueCode")
        if method:
            return str(method)
    return None


def _unit(measure: dict[str, Any]) -> str | None:
    for ext in measure.get("extension", []):
        if ext["url"] == SCORING_UNIT:
            return str(ext["valueCodeableConcept"]["coding"][0]["code"])
    return None


def _partition(stratifier: dict[str, Any]) -> bool:
    return _extension(stratifier, PARTITION, "valueBoolean") is True


def _stratum_of(measure: dict[str, Any]) -> StratumOf | None:
    for ext in measure.get("extension", []):
        if ext["url"] == STRATUM_OF:
            parts = {p["url"]: next(v for k, v in p.items() if k.startswith("value"))
                     for p in ext["extension"]}
            return StratumOf(parts["measure"], parts["stratifier"], parts["value"])
    return None


def _extension(element: dict[str, Any], url: str, key: str) -> Any:
    return next((e[key] for e in element.get("extension", []) if e["url"] == url), None)
