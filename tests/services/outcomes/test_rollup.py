"""Roll-up of three nodes' reports into one network report."""

from __future__ import annotations

import pytest

from registry.errors import Unprocessable
from registry.services.outcomes.disclosure import protect
from registry.services.outcomes.reports import Counted, read_report
from registry.services.outcomes.rollup import combine
from tests.services.outcomes.builders import mask, report

NETWORK = "https://global.test/fhir/Organization/network"
NODES = [f"https://node-{n}.test/fhir/Organization/country" for n in "abc"]


def test_counts_add_up_and_means_recombine_from_sums_and_counts() -> None:
    inputs = [
        report("knowledge-gain", Counted(20, observation_sum=100.0),
               {"discipline": {"nursing": Counted(12, observation_sum=84.0),
                               "pharmacy": Counted(8, observation_sum=16.0)}}, subject=NODES[0]),
        report("knowledge-gain", Counted(30, observation_sum=60.0),
               {"discipline": {"nursing": Counted(30, observation_sum=60.0)}}, subject=NODES[1]),
        report("knowledge-gain", Counted(50, observation_sum=-40.0),
               {"discipline": {"nursing": Counted(25, observation_sum=10.0),
                               "psychology": Counted(25, observation_sum=-50.0)}},
               subject=NODES[2]),
    ]
    combined = read_report(combine(inputs, subject=NETWORK))
    assert combined.total.counts == {"measure-population": 100}
    assert combined.total.observation_sum == pytest.approx(120.0)
    assert combined.total.score == pytest.approx(1.2)  # 120 / 100, not the mean of 5, 2, -0.8
    nursing = combined.strata["discipline"]["nursing"]
    assert nursing.counts["measure-population"] == 67
    assert nursing.score == pytest.approx(154.0 / 67)
    assert combined.strata["discipline"]["pharmacy"].counts["measure-population"] == 8
    assert combined.subject == NETWORK and combined.status == "pending"


def test_a_masked_input_makes_the_figure_partial_and_says_so() -> None:
    a = report("sessions-held", 40, {"topic": {"hiv-art": 4, "tuberculosis": 36}},
               subject=NODES[0])
    inputs = [mask(a, ("topic", "hiv-art"), ("topic", "tuberculosis")),
              report("sessions-held", 25, {"topic": {"hiv-art": 25}}, subject=NODES[1]),
              report("sessions-held", 12, {"topic": {"tuberculosis": 12}}, subject=NODES[2])]
    combined = read_report(combine(inputs, subject=NETWORK))
    assert combined.total.counts["initial-population"] == 77
    assert combined.total.masked_inputs == 0
    hiv = combined.strata["topic"]["hiv-art"]
    assert (hiv.counts["initial-population"], hiv.masked_inputs) == (25, 1)
    assert combined.strata["topic"]["tuberculosis"].masked_inputs == 1
    # disclosure control applies again, with partial figures as lower bounds
    assert protect([combine(inputs, subject=NETWORK)]).audit.passed


def test_medians_are_not_recombined() -> None:
    inputs = [report("days-to-recommendation", Counted(20, median=3.0), subject=NODES[0]),
              report("days-to-recommendation", Counted(15, median=5.0), subject=NODES[1]),
              report("days-to-recommendation", Counted(0), subject=NODES[2])]
    combined = combine(inputs, subject=NETWORK)
    score = combined["group"][0]["measureScore"]
    assert score["extension"][0]["valueCode"] == "unsupported"
    assert read_report(combined).total.counts["measure-population"] == 35
    alone = read_report(combine(inputs[:1] + inputs[2:], subject=NETWORK))
    assert alone.total.score == 3.0  # one node has members: its median is the network's


def test_only_reports_of_one_measure_and_period_combine() -> None:
    with pytest.raises(Unprocessable, match="same Measure and period"):
        combine([report("sessions-held", 20, subject=NODES[0]),
                 report("sessions-held", 20, subject=NODES[1], period="2026-Q2")],
                subject=NETWORK)
