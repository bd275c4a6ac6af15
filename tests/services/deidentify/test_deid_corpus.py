"""The scrubber against the labelled corpus: recall of planted identifiers, precision, and
survival of clinical content. Thresholds are floors under what was measured (see the
report printed by deid_metrics.py), so a regression fails the suite."""

from __future__ import annotations

from collections import Counter

import pytest
from deid_metrics import Tally, evaluate, load_corpus

from registry.services.deidentify import scrub_text

RECORDS = load_corpus()
KINDS = {"name", "phone", "email", "url", "ip", "id", "address", "postcode", "location",
         "date", "age"}


@pytest.fixture(scope="module")
def tallies() -> dict[str, Tally]:
    return evaluate(RECORDS)


def test_corpus_size_and_languages() -> None:
    languages = Counter(r["language"] for r in RECORDS if r["identifiers"])
    assert len(RECORDS) >= 60
    assert all(languages[lang] >= 20 for lang in ("en", "es", "pt"))
    assert languages["fr"] >= 5
    assert {r["program"] for r in RECORDS} == {"sud", "co-occurring", "pain", "hiv"}


def test_every_kind_is_planted_and_labels_match_the_text() -> None:
    planted = Counter()
    for record in RECORDS:
        for label in record["identifiers"]:
            assert record["text"][label["start"]:label["end"]] == label["text"], record["id"]
            planted[label["kind"]] += 1
        for term in record["clinical_terms"]:
            assert term in record["text"], (record["id"], term)
    assert set(planted) == KINDS
    assert all(planted[kind] >= 6 for kind in KINDS), planted


def test_free_text_recall_is_at_least_99_percent(tallies: dict[str, Tally]) -> None:
    everything = tallies["all"]
    assert everything.recall >= 0.99, everything.misses
    assert tallies["split:holdout"].recall >= 0.99, tallies["split:holdout"].misses


@pytest.mark.parametrize("language", ["en", "es", "pt", "fr"])
def test_recall_per_language(tallies: dict[str, Tally], language: str) -> None:
    tally = tallies[f"lang:{language}"]
    assert tally.recall >= 0.98, tally.misses


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_recall_per_kind(tallies: dict[str, Tally], kind: str) -> None:
    tally = tallies[f"kind:{kind}"]
    assert tally.recall >= 0.97, tally.misses


def test_precision_floor(tallies: dict[str, Tally]) -> None:
    assert tallies["all"].precision >= 0.97, tallies["all"].false_hits


def test_clinical_terms_survive(tallies: dict[str, Tally]) -> None:
    assert tallies["all"].survival >= 0.98, tallies["all"].lost_terms


def test_no_planted_string_survives_scrubbing() -> None:
    leaks = []
    for record in RECORDS:
        out, _ = scrub_text(record["text"], record["language"])
        leaks += [f"{record['id']}: {lab['text']}" for lab in record["identifiers"]
                  if len(lab["text"]) > 3 and lab["text"] in out]
    assert len(leaks) <= 0.01 * sum(len(r["identifiers"]) for r in RECORDS), leaks


def test_scrubbing_the_corpus_twice_changes_nothing_more() -> None:
    for record in RECORDS:
        once, _ = scrub_text(record["text"])
        twice, counts = scrub_text(once)
        assert twice == once, record["id"]
        assert not counts, record["id"]
