"""The release record and its hash."""

from __future__ import annotations

import pytest

from registry.errors import Forbidden
from registry.services.outcomes.disclosure import Policy, protect
from registry.services.outcomes.ledger import record_release, release_hash
from tests.services.outcomes.builders import report


def _released(tuberculosis: int = 25) -> list[dict[str, object]]:
    exact = [report("sessions-held", 60, {"topic": {"hiv-art": 3, "tuberculosis": tuberculosis,
                                                    "hepatitis-c": 57 - tuberculosis}}),
             report("case-presentations", 14)]
    return list(protect(exact).reports)


def _record(reports: list[dict[str, object]], **kwargs: object) -> object:
    arguments: dict[str, object] = dict(
        period="2026-Q3", audience="public", exact=False, released_by="Practitioner/admin",
        released_at="2026-10-02T09:00:00Z", policy=Policy(), versions=[("mr-1", "1")])
    arguments.update(kwargs)
    return record_release(reports, **arguments)  # type: ignore[arg-type]


def test_the_hash_is_stable_and_changes_when_a_figure_changes() -> None:
    first, again = _released(), _released()
    assert release_hash(first) == release_hash(again) == release_hash(list(reversed(again)))
    assert release_hash(_released(tuberculosis=26)) != release_hash(first)


def test_a_revised_figure_is_a_new_version_and_the_same_figures_are_none() -> None:
    first = _record(_released())
    assert first.version == 1 and first.supersedes is None  # type: ignore[attr-defined]
    assert first.threshold == 11 and first.audience == "public"  # type: ignore[attr-defined]
    assert _record(_released(), previous=first) is None
    revised = _record(_released(tuberculosis=26), previous=first)
    assert revised.version == 2  # type: ignore[attr-defined]
    assert revised.supersedes == first.sha256  # type: ignore[attr-defined]


def test_exact_figures_go_only_to_the_named_aggregator() -> None:
    record = _record(_released(), audience="national", exact=True,
                     aggregators=frozenset({"national"}))
    assert record.exact  # type: ignore[attr-defined]
    for audience, aggregators in (("public", frozenset({"public"})), ("other", frozenset())):
        with pytest.raises(Forbidden, match="aggregator"):
            _record(_released(), audience=audience, exact=True, aggregators=aggregators)
