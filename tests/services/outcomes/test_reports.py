"""MeasureReports built from figures and read back."""

from __future__ import annotations

import pytest

from registry.errors import Unprocessable
from registry.services.outcomes.measures import catalogue
from registry.services.outcomes.periods import parse_period
from registry.services.outcomes.reports import Counted, IndicatorFigures, build_report, read_report
from tests.services.outcomes.builders import HUB, report, stratum


def test_a_report_carries_counts_scores_and_sums_in_mADX_shape() -> None:
    built = report("knowledge-gain", Counted(20, observation_sum=100.0),
                   {"discipline": {"nursing": Counted(12, observation_sum=70.0),
                                   "unknown": Counted(8, observation_sum=30.0)}})
    assert built["status"] == "pending" and built["type"] == "summary"
    assert built["measure"].endswith("/Measure/knowledge-gain|0.1.0")
    group = built["group"][0]
    assert group["code"]["coding"][0]["code"] == "knowledge-gain"
    assert group["measureScore"] == {"value": 5.0, "system": "http://unitsofmeasure.org",
                                     "code": "%"}
    unknown = stratum(built, "discipline", "unknown")
    assert unknown["value"]["coding"][0]["system"].endswith("data-absent-reason")
    data = read_report(built)
    assert data.strata["discipline"]["nursing"].observation_sum == 70.0
    assert data.strata["discipline"]["nursing"].score == pytest.approx(70.0 / 12)
    assert data.subject == HUB and data.period_start == "2026-07-01"


def test_proportions_and_medians() -> None:
    attrition = read_report(report("attrition", Counted(40, numerator=10)))
    assert attrition.total.counts == {"denominator": 40, "numerator": 10}
    assert attrition.total.score == 0.25
    median = read_report(report("days-to-recommendation", Counted(9, median=2.5)))
    assert median.total.score == 2.5 and median.unit == "d"


def test_figures_that_cannot_be_right_are_refused() -> None:
    indicator = catalogue().by_key("sessions-held")
    bad = IndicatorFigures(Counted(10), {"topic": {"hiv-art": Counted(4)}})
    with pytest.raises(ValueError, match="topic strata add up to 4"):
        build_report(indicator, bad, subject=HUB, period=parse_period("2026"))
    overlapping = catalogue().by_key("unique-participants")
    ok = IndicatorFigures(Counted(10), {"program": {"a": Counted(8), "b": Counted(7)}})
    assert build_report(overlapping, ok, subject=HUB, period=parse_period("2026"))
    with pytest.raises(ValueError, match="numerator 5 exceeds"):
        report("attrition", Counted(4, numerator=5))
    with pytest.raises(ValueError, match="no stratifier 'discipline'"):
        report("sessions-held", 3, {"discipline": {"nursing": 3}})


def test_reading_refuses_what_is_not_a_network_report() -> None:
    other = report("sessions-held", 3)
    other["measure"] = "https://elsewhere.test/Measure/x"
    with pytest.raises(Unprocessable, match="not a network indicator"):
        read_report(other)
    broken = report("sessions-held", 3)
    broken["group"] = []
    with pytest.raises(Unprocessable, match="exactly one group"):
        read_report(broken)
