"""Spans of text found to be identifiers, and how overlapping spans are combined."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .config import placeholder


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    kind: str
    priority: int


def merge(findings: list[Finding]) -> list[Finding]:
    """Union of overlapping spans, kind of the strongest one.

    A union, not a choice: when two recognizers disagree about where an identifier ends, the
    wider span is the one that leaves nothing of it behind.
    """
    merged: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if merged and f.start < merged[-1].end:
            last = merged[-1]
            best = last if last.priority >= f.priority else f
            merged[-1] = Finding(last.start, max(last.end, f.end), best.kind, best.priority)
        else:
            merged.append(f)
    return merged


def replace(text: str, findings: list[Finding]) -> tuple[str, Counter[str]]:
    """Apply merged findings: each span becomes its kind's placeholder."""
    counts: Counter[str] = Counter()
    pieces: list[str] = []
    cursor = 0
    for f in findings:
        pieces.append(text[cursor:f.start])
        pieces.append(placeholder(f.kind))
        counts[f.kind] += 1
        cursor = f.end
    pieces.append(text[cursor:])
    return "".join(pieces), counts
