"""The indicators under schemas/measures: valid, translated, and consistent."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.structuredefinition import StructureDefinition

from registry.services.outcomes.measures import (
    LANGUAGES,
    TRANSLATION,
    catalogue,
    measure_resources,
)
from registry.services.outcomes.periods import PeriodError, parse_period, period_of_dates

MEASURES = measure_resources()
STRATIFIERS = {"country", "hub", "program", "topic", "discipline", "settlement",
               "period-month", "period-quarter", "period-year"}


def _conformance(name: str) -> Any:
    path = resources.files("schemas") / "measures" / "conformance" / name
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("measure", MEASURES, ids=[m["id"] for m in MEASURES])
def test_each_measure_is_valid_and_translated(measure: dict[str, object]) -> None:
    indicator = catalogue()[str(measure["url"])]  # validated with the R4B model on load
    for element in ("_title", "_description"):
        languages = {next(p["valueCode"] for p in t["extension"] if p["url"] == "lang")
                     for t in measure[element]["extension"]  # type: ignore[index]
                     if t["url"] == TRANSLATION}
        assert languages == set(LANGUAGES), element
    assert measure["title"] and measure["name"] and indicator.improvement
    group = measure["group"][0]  # type: ignore[index]
    for population in group["population"]:
        assert population["criteria"] == {"language": "text/x-registry-indicator",
                                          "expression": indicator.key}
    assert {s.code for s in indicator.stratifiers} <= STRATIFIERS
    assert str(measure["url"]).endswith(f"/Measure/{indicator.key}")


def test_every_indicator_is_in_the_code_system_and_the_readme() -> None:
    codes = {c["code"] for c in _conformance("CodeSystem-indicator.json")["concept"]}
    keys = {i.key for i in catalogue().values()}
    assert codes == keys and len(keys) == 14
    readme = (resources.files("schemas") / "measures" / "README.md").read_text(encoding="utf-8")
    assert all(f"| `{key}` |" in readme for key in keys)


def test_conformance_resources_validate() -> None:
    folder = resources.files("schemas") / "measures" / "conformance"
    for file in folder.iterdir():
        resource = json.loads(file.read_text(encoding="utf-8"))
        model = CodeSystem if resource["resourceType"] == "CodeSystem" else StructureDefinition
        model.model_validate(resource)


def test_links_between_measures_name_real_ones() -> None:
    measures = catalogue()
    rural = measures.by_key("active-rural-spokes").stratum_of
    assert rural is not None and rural.measure in measures and rural.value == "rural"
    assert measures.by_key("follow-up-presentations").subset_of in measures
    assert measures.by_key("knowledge-gain").carries_sum
    assert not measures.by_key("days-to-recommendation").carries_sum


@pytest.mark.parametrize(("code", "start", "end"), [
    ("2026", "2026-01-01", "2026-12-31"), ("2026-Q3", "2026-07-01", "2026-09-30"),
    ("2024-02", "2024-02-01", "2024-02-29")])
def test_periods(code: str, start: str, end: str) -> None:
    period = parse_period(code)
    assert (period.start.isoformat(), period.end.isoformat(), period.code) == (start, end, code)
    assert period_of_dates(start, end) == period


def test_bad_periods_are_refused_in_one_line() -> None:
    for bad in ("2026-Q5", "26", "2026-13", "2026-07-01"):
        with pytest.raises(PeriodError, match="is not YYYY, YYYY-Qn or YYYY-MM"):
            parse_period(bad)
    with pytest.raises(PeriodError, match="not a calendar"):
        period_of_dates("2026-07-01", "2026-07-15")
    assert [p.code for p in parse_period("2026-Q3").parts("month")] == \
        ["2026-07", "2026-08", "2026-09"]
