"""MeasureReports as DHIS2 data value sets (``/api/dataValueSets`` JSON), and back.

A mapping file (``schemas/dhis2/mapping.json`` is an example; ``mapping.schema.json`` its
schema) says which data element carries which figure of which indicator (a count, the sum of
observations, the score), and for which disaggregation; which category option combo each
stratum is; which organisation unit each report subject is. Periods become DHIS2 periods
(``2026``, ``2026Q3``, ``202607``).

Masked figures are left out by default, as DHIS2 leaves out values it has not got; with
``"suppressed": "comment"`` they are sent without a value and with the comment ``masked``
(DHIS2 stores comment-only values), and such values import back as masked figures.

Exports are checked against ``dataValueSets.schema.json`` (written from the DHIS2 Web API
documentation); imports too, then value by value. A bad payload raises ExchangeError with one
line per problem naming the data value's index and field; nothing is imported from it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from adapters.exchange import MEASURE_BASE, ExchangeError, dhis2_period, from_dhis2_period
from adapters.measure_report import Figure, ReportData, decode_report, encode_report

MASKED_COMMENT = "masked"
_COUNTS = ("initial-population", "measure-population", "numerator", "denominator")


@dataclass(frozen=True)
class Dhis2Mapping:
    """A checked mapping file."""

    raw: Mapping[str, Any]

    @property
    def comment_masked(self) -> bool:
        return self.raw.get("suppressed") == "comment"

    def elements(self, indicator: str) -> list[Mapping[str, str]]:
        return [e for e in self.raw["dataElements"] if e["indicator"] == indicator]

    def combo(self, stratifier: str | None, value: str | None) -> str | None:
        combos = self.raw["categoryOptionCombos"]
        if stratifier is None:
            return str(combos["total"])
        found = combos.get(stratifier, {}).get(value)
        return str(found) if found else None


def load_mapping(mapping: Mapping[str, Any]) -> Dhis2Mapping:
    """The mapping, checked against its schema (ExchangeError naming the first problem)."""
    _check(_schema("mapping.schema.json"), mapping, "mapping")
    return Dhis2Mapping(mapping)


def example_mapping() -> Dhis2Mapping:
    path = resources.files("schemas") / "dhis2" / "mapping.json"
    return load_mapping(json.loads(path.read_text(encoding="utf-8")))


def export_data_value_set(reports: Iterable[Mapping[str, Any]], mapping: Dhis2Mapping
                          ) -> dict[str, Any]:
    """One data value set holding every mapped figure of the reports."""
    values: list[dict[str, Any]] = []
    problems: list[str] = []
    for report in reports:
        data = decode_report(report)
        period = dhis2_period(data.period_start, data.period_end)
        org_unit = mapping.raw["orgUnits"].get(data.subject)
        if period is None or org_unit is None:
            problems.append(f"{data.indicator} {data.subject}: " + (
                "no organisation unit for this subject in the mapping" if org_unit is None
                else f"period {data.period_start}..{data.period_end} is no DHIS2 year, "
                     "quarter or month"))
            continue
        for element in mapping.elements(data.indicator):
            values.extend(_values(data, element, mapping, period, org_unit, problems))
    if problems:
        raise ExchangeError(problems)
    payload: dict[str, Any] = {}
    if mapping.raw.get("dataSet"):
        payload["dataSet"] = mapping.raw["dataSet"]
    payload["dataValues"] = values
    _check(_schema("dataValueSets.schema.json"), payload, "dataValueSet")
    return payload


def import_data_value_set(payload: Any, mapping: Dhis2Mapping) -> list[dict[str, Any]]:
    """The MeasureReports (status ``complete``) a data value set holds; ExchangeError if bad."""
    _check(_schema("dataValueSets.schema.json"), payload, "dataValueSet")
    reverse = _reverse(mapping)
    cells: dict[tuple[str, str, str], dict[tuple[str | None, str | None], dict[str, Any]]] = \
        defaultdict(lambda: defaultdict(dict))
    problems: list[str] = []
    for index, value in enumerate(payload["dataValues"]):
        where = f"dataValues[{index}]"
        found = _read_value(payload, value, where, reverse, problems)
        if found:
            key, cell, kind, number = found
            cells[key][cell][kind] = number
    if problems:
        raise ExchangeError(problems)
    return [encode_report(_report(key, figures, reverse["populations"]))
            for key, figures in cells.items()]


def _values(data: ReportData, element: Mapping[str, str], mapping: Dhis2Mapping, period: str,
            org_unit: str, problems: list[str]) -> Iterable[dict[str, Any]]:
    stratifier = element.get("stratifier")
    figures: Iterable[tuple[str | None, str | None, Figure]]
    if stratifier:
        figures = [(stratifier, v, f) for v, f in data.strata.get(stratifier, {}).items()]
    else:
        figures = [(None, None, data.total)]
    for code, value, figure in figures:
        combo = mapping.combo(code, value)
        if combo is None:
            problems.append(f"{data.indicator} {data.subject}: no category option combo for "
                            f"{code}={value} in the mapping")
            continue
        number = _number(figure, element["value"])
        if figure.masked and not mapping.comment_masked:
            continue
        if not figure.masked and number is None:
            continue
        out: dict[str, Any] = {"dataElement": element["dataElement"], "period": period,
                               "orgUnit": org_unit, "categoryOptionCombo": combo}
        if mapping.raw.get("attributeOptionCombo"):
            out["attributeOptionCombo"] = mapping.raw["attributeOptionCombo"]
        if figure.masked:
            out["comment"] = MASKED_COMMENT
        else:
            out["value"] = _text(number)
        yield out


def _number(figure: Figure, kind: str) -> float | None:
    if kind == "observation-sum":
        return figure.observation_sum
    if kind == "measure-score":
        return figure.score
    count = figure.counts.get(kind)
    return None if count is None else float(count)


def _reverse(mapping: Dhis2Mapping) -> dict[str, Any]:
    elements = {e["dataElement"]: (e["indicator"], e["value"], e.get("stratifier"))
                for e in mapping.raw["dataElements"]}
    combos: dict[tuple[str, str], tuple[str, str]] = {}
    for stratifier, values in mapping.raw["categoryOptionCombos"].items():
        if stratifier != "total":
            for value, uid in values.items():
                combos[(stratifier, uid)] = (stratifier, value)
    populations: dict[str, list[str]] = defaultdict(list)
    for indicator, kind, _ in elements.values():
        if kind in _COUNTS and kind not in populations[indicator]:
            populations[indicator].append(kind)
    return {"elements": elements, "combos": combos,
            "org_units": {v: k for k, v in mapping.raw["orgUnits"].items()},
            "total": mapping.raw["categoryOptionCombos"]["total"], "populations": populations}


def _read_value(payload: Mapping[str, Any], value: Mapping[str, Any], where: str,
                reverse: dict[str, Any], problems: list[str]) -> Any:
    element = reverse["elements"].get(value["dataElement"])
    org_unit = value.get("orgUnit", payload.get("orgUnit"))
    period = value.get("period", payload.get("period"))
    if element is None:
        problems.append(f"{where}.dataElement: {value['dataElement']!r} is not in the mapping")
        return None
    indicator, kind, stratifier = element
    subject = reverse["org_units"].get(org_unit)
    span = from_dhis2_period(period) if period else None
    combo = value.get("categoryOptionCombo", reverse["total"])
    cell: tuple[str | None, str | None] = (None, None)
    if stratifier:
        found = reverse["combos"].get((stratifier, combo))
        if found is None:
            problems.append(f"{where}.categoryOptionCombo: {combo!r} is no {stratifier} "
                            "stratum in the mapping")
            return None
        cell = found
    elif combo != reverse["total"]:
        problems.append(f"{where}.categoryOptionCombo: {combo!r} is not the total's combo")
        return None
    if subject is None:
        problems.append(f"{where}.orgUnit: {org_unit!r} is not in the mapping")
        return None
    if span is None:
        problems.append(f"{where}.period: {period!r} is not a year, quarter or month")
        return None
    number = _parse(value, where, problems)
    if number is _INVALID:
        return None
    return (indicator, subject, f"{span[0]}/{span[1]}"), cell, kind, number


_INVALID = object()


def _parse(value: Mapping[str, Any], where: str, problems: list[str]) -> Any:
    if "value" not in value:
        if value.get("comment") == MASKED_COMMENT:
            return None  # a masked figure
        problems.append(f"{where}.value: missing (and the comment is not {MASKED_COMMENT!r})")
        return _INVALID
    try:
        number = float(value["value"])
    except ValueError:
        problems.append(f"{where}.value: {value['value']!r} is not a number")
        return _INVALID
    if number != number or number in (float("inf"), float("-inf")):
        problems.append(f"{where}.value: {value['value']!r} is not a finite number")
        return _INVALID
    return number


def _report(key: tuple[str, str, str],
            figures: Mapping[tuple[str | None, str | None], Mapping[str, Any]],
            populations: Mapping[str, list[str]]) -> ReportData:
    indicator, subject, span = key
    start, end = span.split("/")
    strata: dict[str, dict[str, Figure]] = defaultdict(dict)
    total = Figure(counts={})
    for (stratifier, value), kinds in figures.items():
        figure = _figure(kinds)
        if stratifier is None:
            total = figure
        else:
            strata[stratifier][value or ""] = figure
    return ReportData(measure=f"{MEASURE_BASE}/{indicator}", indicator=indicator,
                      subject=subject, period_start=start, period_end=end, total=total,
                      strata=dict(strata), populations=tuple(populations.get(indicator, [])),
                      status="complete")


def _figure(kinds: Mapping[str, Any]) -> Figure:
    if any(v is None for v in kinds.values()):
        return Figure(masked=True)
    counts = {k: int(v) for k, v in kinds.items() if k in _COUNTS}
    return Figure(counts=counts, score=kinds.get("measure-score"),
                  observation_sum=kinds.get("observation-sum"))


def _text(number: float | None) -> str:
    if number is None:
        return ""
    return str(int(number)) if float(number).is_integer() else repr(float(number))


@cache
def _schema(name: str) -> dict[str, Any]:
    path = resources.files("schemas") / "dhis2" / name
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def _check(schema: Mapping[str, Any], instance: Any, what: str) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        raise ExchangeError([f"{what}{_path(e.absolute_path)}: {e.message}" for e in errors])


def _path(path: Iterable[Any]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
