"""Stored times as text: ``http_date`` as ``email.utils`` writes an IMF-fixdate, ``instant``
as ``datetime.isoformat`` writes a UTC instant."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from registry.storage.values import http_date, instant, to_micros

MOMENTS = [datetime(1970, 1, 1, tzinfo=UTC),
           datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC),
           datetime(2026, 12, 4, 18, 31, 48, 1, tzinfo=UTC),
           datetime(1969, 12, 31, 0, 0, 1, 500_000, tzinfo=UTC),
           datetime(2000, 1, 1, 9, 5, 3, tzinfo=UTC),
           datetime(2099, 7, 13, 12, 0, 0, 120, tzinfo=UTC)]
EVERY_MONTH = [datetime(2026, month, day, tzinfo=UTC) for month in range(1, 13) for day in (1, 15)]


@pytest.mark.parametrize("moment", MOMENTS + EVERY_MONTH, ids=lambda m: m.isoformat())
def test_http_date_is_the_imf_fixdate_of_the_whole_second(moment: datetime) -> None:
    whole = moment.replace(microsecond=0)
    assert http_date(to_micros(moment)) == format_datetime(whole, usegmt=True)


@pytest.mark.parametrize("moment", MOMENTS, ids=lambda m: m.isoformat())
def test_instant_keeps_every_microsecond(moment: datetime) -> None:
    expected = moment.isoformat(timespec="microseconds").replace("+00:00", "Z")
    assert instant(to_micros(moment)) == expected
