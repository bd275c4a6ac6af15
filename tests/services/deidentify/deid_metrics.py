"""Recall, precision and clinical-term survival of the scrubber on the labelled corpus.

Used by the corpus tests and runnable as a report:
``.venv/bin/python tests/services/deidentify/deid_metrics.py``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.services.deidentify.text import find_identifiers, scrub_text

CORPUS = Path(__file__).resolve().parents[2] / "data" / "deid_corpus" / "narratives.jsonl"


def load_corpus() -> list[dict[str, Any]]:
    with CORPUS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@dataclass
class Tally:
    planted: int = 0
    covered: int = 0
    findings: int = 0
    true_findings: int = 0
    terms: int = 0
    kept_terms: int = 0
    misses: list[str] = field(default_factory=list)
    false_hits: list[str] = field(default_factory=list)
    lost_terms: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.covered / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        return self.true_findings / self.findings if self.findings else 1.0

    @property
    def survival(self) -> float:
        return self.kept_terms / self.terms if self.terms else 1.0


def _covered(label: dict[str, Any], spans: list[tuple[int, int]], text: str) -> bool:
    """Every letter and digit of the planted value lies inside some finding."""
    return all(any(a <= i < b for a, b in spans)
               for i in range(label["start"], label["end"]) if text[i].isalnum())


def evaluate(records: list[dict[str, Any]]) -> dict[str, Tally]:
    """Tallies keyed 'all', 'lang:es', 'kind:phone', 'split:holdout', ..."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    for record in records:
        text, lang = record["text"], record["language"]
        spans = [(f.start, f.end) for f in find_identifiers(text, lang)]
        for label in record["identifiers"]:
            hit = _covered(label, spans, text)
            for key in ("all", f"lang:{lang}", f"kind:{label['kind']}",
                        f"split:{record['split']}"):
                tallies[key].planted += 1
                tallies[key].covered += hit
                if not hit:
                    tallies[key].misses.append(f"{record['id']}: {label['text']}")
        for a, b in spans:
            true = any(a < lab["end"] and lab["start"] < b for lab in record["identifiers"])
            for key in ("all", f"lang:{lang}", f"split:{record['split']}"):
                tallies[key].findings += 1
                tallies[key].true_findings += true
                if not true:
                    tallies[key].false_hits.append(f"{record['id']}: {text[a:b]}")
        scrubbed, _ = scrub_text(text, lang)
        for term in record["clinical_terms"]:
            kept = term in scrubbed
            for key in ("all", f"lang:{lang}", f"split:{record['split']}"):
                tallies[key].terms += 1
                tallies[key].kept_terms += kept
                if not kept:
                    tallies[key].lost_terms.append(f"{record['id']}: {term}")
    return dict(tallies)


def main() -> None:
    tallies = evaluate(load_corpus())
    print(f"{'slice':<16}{'planted':>8}{'recall':>9}{'findings':>9}{'precision':>10}"
          f"{'terms':>7}{'survive':>9}")
    for key in sorted(tallies, key=lambda k: (k != "all", k)):
        t = tallies[key]
        print(f"{key:<16}{t.planted:>8}{t.recall:>9.1%}{t.findings:>9}{t.precision:>10.1%}"
              f"{t.terms:>7}{t.survival:>9.1%}")
    everything = tallies["all"]
    for title, items in (("missed", everything.misses), ("false hits", everything.false_hits),
                         ("lost terms", everything.lost_terms)):
        print(f"\n{title} ({len(items)}):")
        for item in items:
            print("  " + item)


if __name__ == "__main__":
    main()
