"""The wire shape of our MeasureReports, shared by every exchange format.

IHE mADX style: one report per Measure, subject and period; one group (``group.code`` is the
indicator); one stratifier per category and one stratum per category value, each with its
population counts and ``measureScore``. Beyond FHIR R4:

- the sum of a continuous variable's observations rides in the ``observation-sum``
  extension (group and stratum), so that means recombine from sums and counts;
- a masked figure has no count and no score: ``_count`` and ``measureScore`` carry the
  data-absent-reason extension with ``masked``;
- a roll-up figure that left out masked inputs carries ``masked-inputs`` (it is a lower bound);
- a released report carries the ``disclosure-threshold`` it was released under.

Decoding is forgiving of order but not of shape: a report it cannot read raises
``ReportShapeError`` with one line naming where.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

BASE = "https://telementoring.example.org/fhir"
SD = f"{BASE}/StructureDefinition"
INDICATOR_SYSTEM = f"{BASE}/CodeSystem/indicator"
STRATIFIER_SYSTEM = f"{BASE}/CodeSystem/measure-stratifier"
POPULATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-population"
IMPROVEMENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-improvement-notation"
DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
DATA_ABSENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
OBSERVATION_SUM = f"{SD}/observation-sum"
MASKED_INPUTS = f"{SD}/masked-inputs"
THRESHOLD = f"{SD}/disclosure-threshold"
UCUM = "http://unitsofmeasure.org"
UNKNOWN = "unknown"
VALUE_SYSTEMS = {
    "country": "urn:iso:std:iso:3166",
    "hub": "urn:ietf:rfc:3986",
    "program": "urn:ietf:rfc:3986",
    "topic": f"{BASE}/CodeSystem/program-topic",
    "discipline": f"{BASE}/CodeSystem/discipline",
    "settlement": f"{BASE}/CodeSystem/settlement",
    "period-month": f"{BASE}/CodeSystem/reporting-period",
    "period-quarter": f"{BASE}/CodeSystem/reporting-period",
    "period-year": f"{BASE}/CodeSystem/reporting-period",
}


class ReportShapeError(ValueError):
    """A MeasureReport that is not in our shape; the message names where."""


@dataclass(frozen=True)
class Figure:
    """The figures of a group or of one stratum.

    ``counts`` maps population codes to counts (empty when masked). ``score`` is the
    measureScore value, ``score_absent`` the data-absent-reason of a score that is missing for
    another reason than masking (``unsupported`` for a combined median).
    """

    counts: Mapping[str, int] = field(default_factory=dict)
    score: float | None = None
    observation_sum: float | None = None
    masked: bool = False
    masked_inputs: int = 0
    score_absent: str | None = None


@dataclass(frozen=True)
class ReportData:
    """One MeasureReport as plain data."""

    measure: str  # canonical, optionally |version
    indicator: str  # group.code
    subject: str  # reference
    period_start: str
    period_end: str
    total: Figure
    strata: Mapping[str, Mapping[str, Figure]] = field(default_factory=dict)
    populations: tuple[str, ...] = ("initial-population",)
    status: str = "pending"
    unit: str | None = None
    improvement: str | None = None
    reporter: str | None = None
    date: str | None = None
    threshold: int | None = None
    id: str | None = None

    def figures(self) -> Iterable[tuple[str | None, str | None, Figure]]:
        """(stratifier, value, figure) for the total (None, None) and then every stratum."""
        yield None, None, self.total
        for stratifier, strata in self.strata.items():
            for value, figure in strata.items():
                yield stratifier, value, figure


def encode_report(data: ReportData) -> dict[str, Any]:
    """The MeasureReport resource (FHIR JSON) of ``data``."""
    report: dict[str, Any] = {"resourceType": "MeasureReport"}
    if data.id:
        report["id"] = data.id
    if data.threshold is not None:
        report["extension"] = [{"url": THRESHOLD, "valuePositiveInt": data.threshold}]
    report.update({"status": data.status, "type": "summary", "measure": data.measure,
                   "subject": {"reference": data.subject}})
    if data.date:
        report["date"] = data.date
    if data.reporter:
        report["reporter"] = {"reference": data.reporter}
    report["period"] = {"start": data.period_start, "end": data.period_end}
    if data.improvement:
        report["improvementNotation"] = {"coding": [{"system": IMPROVEMENT_SYSTEM,
                                                     "code": data.improvement}]}
    group = {"code": {"coding": [{"system": INDICATOR_SYSTEM, "code": data.indicator}]},
             **_encode_figure(data.total, data.populations, data.unit)}
    if data.strata:
        group["stratifier"] = [
            {"code": [{"coding": [{"system": STRATIFIER_SYSTEM, "code": code}]}],
             "stratum": [{"value": _value(code, value),
                          **_encode_figure(figure, data.populations, data.unit)}
                         for value, figure in strata.items()]}
            for code, strata in data.strata.items()]
    report["group"] = [group]
    return report


def decode_report(report: Mapping[str, Any]) -> ReportData:
    """The plain data of one MeasureReport in our shape; ReportShapeError names what is off."""
    if report.get("resourceType") != "MeasureReport":
        raise ReportShapeError("not a MeasureReport")
    groups = report.get("group") or []
    if len(groups) != 1:
        raise ReportShapeError("MeasureReport.group: expected exactly one group")
    group = groups[0]
    period = report.get("period") or {}
    try:
        populations = tuple(_code(p["code"]) for p in group.get("population") or [])
        strata = {_code(s["code"][0], "stratifier.code"):
                  {_stratum_code(t.get("value")): _decode_figure(t) for t in s.get("stratum") or []}
                  for s in group.get("stratifier") or []}
        return ReportData(
            measure=_required(report, "measure"), indicator=_code(group.get("code"), "group.code"),
            subject=_required(report.get("subject") or {}, "reference", "subject.reference"),
            period_start=_required(period, "start", "period.start"),
            period_end=_required(period, "end", "period.end"),
            total=_decode_figure(group), strata=strata, populations=populations or (),
            status=str(report.get("status", "")), unit=_unit(group),
            improvement=_optional_code(report.get("improvementNotation")),
            reporter=(report.get("reporter") or {}).get("reference"), date=report.get("date"),
            threshold=_extension(report, THRESHOLD), id=report.get("id"))
    except (KeyError, IndexError, TypeError) as exc:
        raise ReportShapeError(f"MeasureReport.group: unreadable ({exc})") from None


def bundle_of(reports: Iterable[Mapping[str, Any]], timestamp: str | None = None
              ) -> dict[str, Any]:
    """A FHIR Bundle (type collection) holding the reports."""
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection"}
    if timestamp:
        bundle["timestamp"] = timestamp
    bundle["entry"] = [{"resource": dict(r)} for r in reports]
    return bundle


def masked_extension() -> dict[str, Any]:
    return {"extension": [{"url": DATA_ABSENT, "valueCode": "masked"}]}


def _encode_figure(figure: Figure, populations: tuple[str, ...], unit: str | None
                   ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    extensions = []
    if figure.observation_sum is not None and not figure.masked:
        extensions.append({"url": OBSERVATION_SUM, "valueDecimal": figure.observation_sum})
    if figure.masked_inputs:
        extensions.append({"url": MASKED_INPUTS, "valueUnsignedInt": figure.masked_inputs})
    if extensions:
        out["extension"] = extensions
    out["population"] = [_encode_population(code, figure) for code in populations]
    if figure.masked:
        out["measureScore"] = masked_extension()
    elif figure.score_absent:
        out["measureScore"] = {"extension": [{"url": DATA_ABSENT,
                                              "valueCode": figure.score_absent}]}
    elif figure.score is not None:
        score: dict[str, Any] = {"value": figure.score}
        if unit:
            score.update({"system": UCUM, "code": unit})
        out["measureScore"] = score
    return out


def _encode_population(code: str, figure: Figure) -> dict[str, Any]:
    population: dict[str, Any] = {"code": {"coding": [{"system": POPULATION_SYSTEM,
                                                        "code": code}]}}
    if figure.masked or code not in figure.counts:
        population["_count"] = masked_extension()
    else:
        population["count"] = figure.counts[code]
    return population


def _decode_figure(element: Mapping[str, Any]) -> Figure:
    counts: dict[str, int] = {}
    masked = False
    for population in element.get("population") or []:
        if "count" in population:
            counts[_code(population["code"])] = int(population["count"])
        elif _absent(population.get("_count")) == "masked":
            masked = True
    score = element.get("measureScore") or {}
    absent = _absent(score)
    masked = masked or absent == "masked"
    return Figure(counts={} if masked else counts,
                  score=None if masked else _number(score.get("value")),
                  observation_sum=None if masked else _number(_extension(element,
                                                                         OBSERVATION_SUM)),
                  masked=masked, masked_inputs=int(_extension(element, MASKED_INPUTS) or 0),
                  score_absent=absent if absent and absent != "masked" else None)


def _value(stratifier: str, value: str) -> dict[str, Any]:
    if value == UNKNOWN:
        return {"coding": [{"system": DATA_ABSENT_SYSTEM, "code": UNKNOWN}]}
    system = VALUE_SYSTEMS.get(stratifier)
    coding = {"system": system, "code": value} if system else {"code": value}
    return {"coding": [coding]}


def _stratum_code(value: Mapping[str, Any] | None) -> str:
    if not value:
        raise ReportShapeError("MeasureReport.group.stratifier.stratum.value is missing")
    coding = (value.get("coding") or [{}])[0]
    if coding.get("system") == DATA_ABSENT_SYSTEM:
        return UNKNOWN
    code = coding.get("code") or value.get("text")
    if not code:
        raise ReportShapeError("MeasureReport.group.stratifier.stratum.value has no code")
    return str(code)


def _code(concept: Mapping[str, Any] | None, where: str = "population.code") -> str:
    try:
        return str((concept or {})["coding"][0]["code"])
    except (KeyError, IndexError, TypeError):
        raise ReportShapeError(f"MeasureReport.{where} has no coding") from None


def _optional_code(concept: Mapping[str, Any] | None) -> str | None:
    return _code(concept) if concept else None


def _unit(group: Mapping[str, Any]) -> str | None:
    score = group.get("measureScore") or {}
    if score.get("code"):
        return str(score["code"])
    for stratifier in group.get("stratifier") or []:
        for stratum in stratifier.get("stratum") or []:
            code = (stratum.get("measureScore") or {}).get("code")
            if code:
                return str(code)
    return None


def _required(element: Mapping[str, Any], key: str, where: str | None = None) -> str:
    value = element.get(key)
    if not isinstance(value, str) or not value:
        raise ReportShapeError(f"MeasureReport.{where or key} is missing")
    return value


def _absent(element: Mapping[str, Any] | None) -> str | None:
    value = _extension(element or {}, DATA_ABSENT)
    return str(value) if value is not None else None


def _extension(element: Mapping[str, Any], url: str) -> Any:
    for ext in element.get("extension") or []:
        if ext.get("url") == url:
            return next((v for k, v in ext.items() if k.startswith("value")), None)
    return None


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
