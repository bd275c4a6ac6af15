"""Reports for the outcomes tests, built the way the registry builds them."""

from __future__ import annotations

import copy
from typing import Any

from registry.services.outcomes.measures import catalogue
from registry.services.outcomes.periods import parse_period
from registry.services.outcomes.reports import Counted, IndicatorFigures, build_report

HUB = "https://node.test/fhir/Organization/hub-1"
DAR = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"


def report(key: str, total: Counted | int, strata: dict[str, dict[str, Counted | int]]
           | None = None, *, period: str = "2026-Q3", subject: str = HUB) -> dict[str, Any]:
    def counted(c: Counted | int) -> Counted:
        return c if isinstance(c, Counted) else Counted(c)

    figures = IndicatorFigures(counted(total), {
        code: {value: counted(c) for value, c in values.items()}
        for code, values in (strata or {}).items()})
    return build_report(catalogue().by_key(key), figures, subject=subject,
                        period=parse_period(period))


def stratum(report: dict[str, Any], stratifier: str, value: str) -> dict[str, Any]:
    for s in report["group"][0].get("stratifier", []):
        if s["code"][0]["coding"][0]["code"] == stratifier:
            for t in s["stratum"]:
                if t["value"]["coding"][0]["code"] == value:
                    return t  # type: ignore[no-any-return]
    raise KeyError((stratifier, value))


def is_masked(element: dict[str, Any]) -> bool:
    return all("count" not in p and p["_count"]["extension"][0]["valueCode"] == "masked"
               for p in element["population"]) and \
        element["measureScore"]["extension"][0]["valueCode"] == "masked"


def mask(report: dict[str, Any], *cells: tuple[str, str] | None) -> dict[str, Any]:
    """A copy with the given strata (or the total, for None) masked by hand."""
    masked = copy.deepcopy(report)
    for cell in cells:
        element = masked["group"][0] if cell is None else stratum(masked, *cell)
        for population in element["population"]:
            population.pop("count", None)
            population["_count"] = {"extension": [{"url": DAR, "valueCode": "masked"}]}
        element["measureScore"] = {"extension": [{"url": DAR, "valueCode": "masked"}]}
        element.pop("extension", None)
    return masked
