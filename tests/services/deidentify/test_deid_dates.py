"""Dates: year kept, offset from the presentation coarsened, ages from partial birth dates."""

from __future__ import annotations

from datetime import date

import pytest

from registry.services.deidentify.dates import age_range, offset, parse_range, truncate
from registry.services.deidentify.rules import load_rules

PRESENTED = date(2024, 5, 6)
SETTINGS = load_rules().raw["relativeDates"]


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-05-06", (0, "wk")),
    ("2024-04-28", (-1, "wk")),
    ("2024-03-02", (-9, "wk")),
    ("2023-11-15", (-6, "mo")),
    ("2019-08-02", (-5, "a")),
    ("2024-06-10T08:00:00Z", (5, "wk")),
    ("2024-04", (-1, "mo")),     # month precision: never finer than months
    ("2023", (-1, "a")),         # year precision: years
])
def test_offset_is_coarsened(value: str, expected: tuple[int, str]) -> None:
    assert offset(value, PRESENTED, SETTINGS) == expected


def test_malformed_dates_have_no_offset() -> None:
    assert offset("yesterday", PRESENTED, SETTINGS) is None
    assert parse_range("March 3") is None


@pytest.mark.parametrize(("value", "type_name", "expected"), [
    ("2019-08-02", "date", "2019"),
    ("2024-05-06T14:32:00-05:00", "dateTime", "2024"),
    ("2024-04-28T16:20:00Z", "instant", "2024-01-01T00:00:00Z"),
])
def test_truncate_keeps_only_the_year(value: str, type_name: str, expected: str) -> None:
    assert truncate(value, type_name) == expected


def test_age_range_from_full_and_partial_birth_dates() -> None:
    assert age_range("1961-04-17", PRESENTED) == (63, 63)
    assert age_range("1961-06-01", PRESENTED) == (62, 62)
    assert age_range("1961", PRESENTED) == (62, 63)
    assert age_range("2030-01-01", PRESENTED) == (0, 0)
