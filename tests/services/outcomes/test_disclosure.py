"""Disclosure control on crafted tables: what is masked, and the audit's intervals."""

from __future__ import annotations

import math

import pytest

from registry.services.outcomes.disclosure import (
    DisclosureError,
    Policy,
    audit_release,
    protect,
    require_safe,
)
from registry.services.outcomes.reports import Counted
from tests.services.outcomes.builders import is_masked, mask, report, stratum

PROGRAM = "https://node.test/fhir/HealthcareService"


def _intervals(audit: object) -> dict[tuple[str, str], tuple[float, float]]:
    return {(c.figure.rsplit(" ", 1)[-1], c.layer): (c.lower, c.upper)
            for c in audit.cells}  # type: ignore[attr-defined]


def test_counts_from_one_to_ten_are_masked_zero_and_eleven_are_shown() -> None:
    exact = report("sessions-held", 61, {"topic": {"hiv-art": 10, "hepatitis-c": 0,
                                                   "tuberculosis": 11, "mental-health": 40}})
    released = protect([exact]).reports[0]
    assert is_masked(stratum(released, "topic", "hiv-art"))
    assert stratum(released, "topic", "hepatitis-c")["population"][0]["count"] == 0
    assert not is_masked(released["group"][0])
    assert released["extension"][0]["valuePositiveInt"] == 11


def test_the_threshold_is_configurable() -> None:
    exact = report("sessions-held", 60, {"topic": {"hiv-art": 10, "tuberculosis": 50}})
    released = protect([exact], Policy(threshold=5)).reports[0]
    assert not is_masked(stratum(released, "topic", "hiv-art"))


def test_naive_suppression_of_one_cell_is_undone_by_subtraction_and_protect_prevents_it() -> None:
    exact = report("sessions-held", 60, {"topic": {"hiv-art": 3, "tuberculosis": 25,
                                                   "hepatitis-c": 32}})
    naive = mask(exact, ("topic", "hiv-art"))
    audit = audit_release([exact], [naive])
    assert not audit.passed
    assert _intervals(audit)[("topic=hiv-art", "initial-population")] == (3, 3)
    assert "recomputed exactly (3)" in audit.summary()

    release = protect([exact])
    assert release.audit.passed
    masked = release.reports[0]
    assert is_masked(stratum(masked, "topic", "hiv-art"))
    # the complement is the smallest stratum that makes the hidden pair at least 11 wide
    assert is_masked(stratum(masked, "topic", "tuberculosis"))
    assert not is_masked(stratum(masked, "topic", "hepatitis-c"))
    assert _intervals(release.audit)[("topic=hiv-art", "initial-population")] == (0, 28)


def test_a_cell_recomputable_only_across_two_stratifiers_sharing_the_total() -> None:
    exact = report("case-presentations", 30, {"topic": {"hiv-art": 4, "tuberculosis": 26},
                                              "settlement": {"rural": 12, "urban": 18}})
    # per-table suppression: topic's small cell plus the total look safe within "topic" ...
    per_table = mask(exact, ("topic", "hiv-art"), None)
    audit = audit_release([exact], [per_table])
    assert not audit.passed  # ... but the total is the settlement strata's sum
    intervals = _intervals(audit)
    assert intervals[("total", "initial-population")] == (30, 30)
    assert intervals[("topic=hiv-art", "initial-population")] == (4, 4)

    release = protect([exact])
    assert release.audit.passed
    assert is_masked(stratum(release.reports[0], "topic", "hiv-art"))


def test_the_audit_intervals_match_hand_computed_ones() -> None:
    # attrition: the numerator is at most the denominator, cell by cell (a linear program)
    exact = report("attrition", Counted(40, numerator=12), {
        "discipline": {"nursing": Counted(5, numerator=2), "pharmacy": Counted(35, numerator=10)}})
    hidden = mask(exact, ("discipline", "nursing"), ("discipline", "pharmacy"))
    intervals = _intervals(audit_release([exact], [hidden]))
    # denominators: d1 + d2 = 40; numerators: n1 + n2 = 12, n <= d
    assert intervals[("discipline=nursing", "denominator")] == pytest.approx((0, 40))
    assert intervals[("discipline=nursing", "numerator")] == pytest.approx((0, 12))
    # a hidden total bounded from below by a shown stratum of another stratifier
    exact = report("sessions-held", 30, {"topic": {"hiv-art": 4, "tuberculosis": 26},
                                         "program": {f"{PROGRAM}/a": 12, f"{PROGRAM}/b": 18}})
    hidden = mask(exact, None, ("topic", "hiv-art"), ("topic", "tuberculosis"),
                  ("program", f"{PROGRAM}/a"))
    intervals = _intervals(audit_release([exact], [hidden]))
    assert intervals[("total", "initial-population")] == (18, math.inf)
    assert intervals[("topic=hiv-art", "initial-population")] == (0, math.inf)


def test_means_and_medians_of_fewer_than_the_threshold_are_masked() -> None:
    exact = report("knowledge-gain", Counted(30, observation_sum=240.0), {
        "discipline": {"nursing": Counted(6, observation_sum=60.0),
                       "pharmacy": Counted(11, observation_sum=55.0),
                       "psychology": Counted(13, observation_sum=125.0)}})
    released = protect([exact]).reports[0]
    nursing = stratum(released, "discipline", "nursing")
    assert is_masked(nursing) and "extension" not in nursing  # no observation-sum either
    assert protect([exact]).audit.passed
    median = report("days-to-recommendation", Counted(20, median=3.0), {
        "settlement": {"rural": Counted(4, median=9.0), "urban": Counted(16, median=2.5)}})
    masked = protect([median]).reports[0]
    assert is_masked(stratum(masked, "settlement", "rural"))
    assert is_masked(stratum(masked, "settlement", "urban"))  # else 4 = 20 - 16


def test_a_proportion_whose_complement_is_small_is_masked() -> None:
    exact = report("attrition", Counted(60, numerator=30), {
        "settlement": {"rural": Counted(20, numerator=17), "urban": Counted(40, numerator=13)}})
    released = protect([exact]).reports[0]
    assert is_masked(stratum(released, "settlement", "rural"))  # 3 retained


def test_linked_measures_share_a_figure() -> None:
    spokes = report("active-spokes", 30, {"settlement": {"rural": 7, "urban": 23}})
    rural = report("active-rural-spokes", 7)
    release = protect([spokes, rural])
    assert release.audit.passed
    assert is_masked(release.reports[1]["group"][0])
    assert is_masked(stratum(release.reports[0], "settlement", "rural"))


def test_a_month_hidden_in_a_quarter_is_hidden_in_its_own_report_too() -> None:
    quarter = report("sessions-held", 40, {"period-month": {"2026-07": 12, "2026-08": 3,
                                                            "2026-09": 25}})
    months = [report("sessions-held", n, period=p)
              for p, n in (("2026-07", 12), ("2026-08", 3), ("2026-09", 25))]
    release = protect([quarter, *months])
    assert release.audit.passed
    hidden_in_quarter = {v for v in ("2026-07", "2026-08", "2026-09")
                         if is_masked(stratum(release.reports[0], "period-month", v))}
    hidden_months = {p for p, r in zip(("2026-07", "2026-08", "2026-09"), release.reports[1:],
                                       strict=True) if is_masked(r["group"][0])}
    assert hidden_in_quarter == hidden_months == {"2026-07", "2026-08"}


def test_what_an_earlier_release_masked_stays_masked() -> None:
    before = protect([report("sessions-held", 28, {"topic": {"hiv-art": 3, "tuberculosis": 25}},
                             period="2026-07")]).reports
    quarter = report("sessions-held", 70, {"period-month": {"2026-07": 28, "2026-08": 20,
                                                            "2026-09": 22}})
    month = report("sessions-held", 28, {"topic": {"hiv-art": 3, "tuberculosis": 25}},
                   period="2026-07")
    release = protect([quarter, month], prior=before)
    assert release.audit.passed
    assert is_masked(stratum(release.reports[1], "topic", "tuberculosis"))


def test_a_release_that_cannot_be_protected_is_refused_naming_the_cell() -> None:
    # the only other figure in the line was shown before: nothing left to hide it behind
    before = [report("sessions-held", 30, {"topic": {"hiv-art": 3, "tuberculosis": 27}})]
    exact = report("sessions-held", 30, {"topic": {"hiv-art": 3, "tuberculosis": 27}})
    release = protect([exact], prior=before)
    assert not release.audit.passed
    with pytest.raises(DisclosureError, match="topic=hiv-art is not protected"):
        require_safe(release)


def test_inconsistent_figures_are_refused() -> None:
    spokes = report("active-spokes", 30, {"settlement": {"rural": 12, "urban": 18}})
    rural = report("active-rural-spokes", 13)
    with pytest.raises(ValueError, match="inconsistent figures"):
        protect([spokes, rural])


def test_a_revision_keeps_what_the_earlier_release_masked() -> None:
    first = protect([report("sessions-held", 60, {"topic": {"hiv-art": 3, "tuberculosis": 25,
                                                            "hepatitis-c": 32}})]).reports[0]
    assert is_masked(stratum(first, "topic", "hiv-art"))
    # a late session report: hiv-art is 12 now, which alone would be shown; beside the first
    # release it would tell that 9 sessions were added, not what hiv-art was
    revised = report("sessions-held", 69, {"topic": {"hiv-art": 12, "tuberculosis": 25,
                                                     "hepatitis-c": 32}})
    assert not is_masked(stratum(protect([revised]).reports[0], "topic", "hiv-art"))
    release = protect([revised], revising=[first])
    assert release.audit.passed
    again = release.reports[0]
    assert is_masked(stratum(again, "topic", "hiv-art"))
    assert is_masked(stratum(again, "topic", "tuberculosis"))  # its complement, as before
