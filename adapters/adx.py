"""MeasureReports as IHE ADX XML, and back, checked against ``schemas/adx/adx.xsd``.

One ``group`` per report (``orgUnit`` the subject reference, ``period`` its start and ISO 8601
duration, ``dataSet`` given by the caller); one ``dataValue`` per figure, whose
``dataElement`` is ``<indicator>.<figure>`` (``sessions-held.initial-population``,
``knowledge-gain.observation-sum``, ``days-to-recommendation.measure-score``, ...) and whose
stratum, if any, is one more attribute named after the stratifier (``discipline="nursing"``).
ADX values are numbers, so masked figures are left out. Documents are parsed with entity
expansion and external access refused; one that does not validate raises ExchangeError with
one line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from importlib import resources
from typing import Any
from xml.etree import ElementTree

import xmlschema

from adapters.exchange import MEASURE_BASE, ExchangeError, calendar_kind, period_span
from adapters.measure_report import VALUE_SYSTEMS, Figure, ReportData, decode_report, encode_report

NAMESPACE = "urn:ihe:qrph:adx:2015"
DATA_SET = "telementoring-outcomes"
_DURATION = {"year": "P1Y", "quarter": "P3M", "month": "P1M"}
_KIND_OF = {v: k for k, v in _DURATION.items()}
_COUNTS = ("initial-population", "measure-population", "numerator", "denominator")
_FIGURES = (*_COUNTS, "observation-sum", "measure-score")


@cache
def adx_schema() -> xmlschema.XMLSchema:
    path = resources.files("schemas") / "adx" / "adx.xsd"
    return xmlschema.XMLSchema(path.read_text(encoding="utf-8"))


def export_adx(reports: Iterable[Mapping[str, Any]], *, exported: str,
               data_set: str = DATA_SET) -> str:
    """The ADX document (text) of the reports; ExchangeError when there is nothing to send."""
    root = ElementTree.Element(f"{{{NAMESPACE}}}adx", {"exported": exported})
    for report in reports:
        data = decode_report(report)
        found = calendar_kind(data.period_start, data.period_end)
        if found is None:
            raise ExchangeError([f"{data.indicator} {data.subject}: period "
                                 f"{data.period_start}..{data.period_end} is no calendar "
                                 "year, quarter or month"])
        values = list(_data_values(data))
        if values:
            group = ElementTree.SubElement(root, f"{{{NAMESPACE}}}group", {
                "orgUnit": data.subject, "period": f"{found[1].isoformat()}/{_DURATION[found[0]]}",
                "dataSet": data_set})
            for attributes in values:
                ElementTree.SubElement(group, f"{{{NAMESPACE}}}dataValue", attributes)
    if not len(root):
        raise ExchangeError(["nothing to export: every figure is masked or no report was given"])
    ElementTree.register_namespace("", NAMESPACE)
    text = ElementTree.tostring(root, encoding="unicode", xml_declaration=True)
    _validate(text)
    return text


def import_adx(document: str | bytes) -> list[dict[str, Any]]:
    """The MeasureReports (status ``complete``) an ADX document holds; ExchangeError if bad."""
    root = _validate(document)
    figures: dict[tuple[str, str, str, str], dict[tuple[str | None, str | None], dict[str, float]]]
    figures = defaultdict(lambda: defaultdict(dict))
    problems: list[str] = []
    for g, group in enumerate(root.findall(f"{{{NAMESPACE}}}group")):
        span = _span(group.get("period", ""))
        if span is None:
            problems.append(f"group[{g}].period: {group.get('period')!r} is not a calendar "
                            "year (P1Y), quarter (P3M) or month (P1M)")
            continue
        for v, value in enumerate(group.findall(f"{{{NAMESPACE}}}dataValue")):
            found = _read(value, f"group[{g}].dataValue[{v}]", problems)
            if found:
                indicator, kind, cell = found
                key = (indicator, group.get("orgUnit", ""), *span)
                figures[key][cell][kind] = float(value.get("value", "0"))
    if problems:
        raise ExchangeError(problems)
    return [encode_report(_report(key, cells)) for key, cells in figures.items()]


def _data_values(data: ReportData) -> Iterable[dict[str, str]]:
    for stratifier, value, figure in data.figures():
        if figure.masked:
            continue
        disaggregation = {stratifier: value} if stratifier and value else {}
        for kind, number in _numbers(figure):
            yield {"dataElement": f"{data.indicator}.{kind}", **disaggregation,
                   "value": _text(number)}


def _numbers(figure: Figure) -> Iterable[tuple[str, float]]:
    for code in _COUNTS:
        if code in figure.counts:
            yield code, float(figure.counts[code])
    if figure.observation_sum is not None:
        yield "observation-sum", figure.observation_sum
    if figure.score is not None:
        yield "measure-score", figure.score


def _read(value: ElementTree.Element, where: str, problems: list[str]
          ) -> tuple[str, str, tuple[str | None, str | None]] | None:
    indicator, _, kind = (value.get("dataElement") or "").rpartition(".")
    if not indicator or kind not in _FIGURES:
        problems.append(f"{where}.dataElement: {value.get('dataElement')!r} is not "
                        "<indicator>.<figure>")
        return None
    extra = {k: v for k, v in value.attrib.items() if k not in ("dataElement", "value")}
    unknown = sorted(k for k in extra if k not in VALUE_SYSTEMS)
    if unknown or len(extra) > 1:
        problems.append(f"{where}: " + (f"unknown disaggregation {', '.join(unknown)}" if unknown
                                        else f"{len(extra)} disaggregations; a stratum has one"))
        return None
    cell: tuple[str | None, str | None] = next(iter(extra.items())) if extra else (None, None)
    return indicator, kind, cell


def _report(key: tuple[str, str, str, str],
            cells: Mapping[tuple[str | None, str | None], Mapping[str, float]]) -> ReportData:
    indicator, subject, start, end = key
    kinds = [k for k in _COUNTS if any(k in c for c in cells.values())]
    strata: dict[str, dict[str, Figure]] = defaultdict(dict)
    total = Figure(counts={})
    for (stratifier, value), numbers in cells.items():
        figure = Figure(counts={k: int(n) for k, n in numbers.items() if k in _COUNTS},
                        score=numbers.get("measure-score"),
                        observation_sum=numbers.get("observation-sum"))
        if stratifier is None:
            total = figure
        else:
            strata[stratifier][value or ""] = figure
    return ReportData(measure=f"{MEASURE_BASE}/{indicator}", indicator=indicator,
                      subject=subject, period_start=start, period_end=end, total=total,
                      strata=dict(strata), populations=tuple(kinds), status="complete")


def _span(period: str) -> tuple[str, str] | None:
    start, _, duration = period.partition("/")
    kind = _KIND_OF.get(duration)
    if kind is None:
        return None
    first, last = period_span(kind, _date(start))
    return (first, last) if calendar_kind(first, last) == (kind, _date(start)) else None


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return date.min


def _validate(document: str | bytes) -> ElementTree.Element:
    try:
        resource = xmlschema.XMLResource(document, defuse="always", allow="none")
        adx_schema().validate(resource)
    except xmlschema.XMLSchemaValidationError as exc:
        where = f" at {exc.path}" if exc.path else ""
        raise ExchangeError([f"ADX document is not valid{where}: {exc.reason}"]) from None
    except (xmlschema.XMLResourceError, ElementTree.ParseError, ValueError) as exc:
        raise ExchangeError([f"ADX document is not well-formed XML: "
                             f"{str(exc).splitlines()[0]}"]) from None
    root = resource.root
    assert isinstance(root, ElementTree.Element)
    return root


def _text(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(float(number))
