"""Pairing pre and post responses of one instrument by the mentee's PractitionerRole (within
one program: a mentee of two programs is paired in each).

A mentee's latest response of each phase counts (a repeated form replaces the earlier one);
a mentee with only one phase is unmatched and reported as such, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from registry.storage.evaluations import ScoreRow


@dataclass(frozen=True)
class Pairs:
    matched: list[tuple[ScoreRow, ScoreRow]]  # (pre, post), in mentee order
    pre_only: list[ScoreRow]
    post_only: list[ScoreRow]

    @property
    def n_pre(self) -> int:
        return len(self.matched) + len(self.pre_only)

    @property
    def n_post(self) -> int:
        return len(self.matched) + len(self.post_only)

    @property
    def attrition(self) -> float | None:
        """Share of mentees who answered the pre-evaluation but not the post."""
        return len(self.pre_only) / self.n_pre if self.n_pre else None


def pair(rows: Iterable[ScoreRow]) -> Pairs:
    """Pairs of one instrument's rows (ordered by authored date, as storage returns them)."""
    latest: dict[tuple[str, str, str], ScoreRow] = {}
    for row in rows:
        latest[(row.program or "", row.mentee, row.phase)] = row
    mentees = sorted({(program, mentee) for program, mentee, _ in latest})
    matched, pre_only, post_only = [], [], []
    for program, mentee in mentees:
        pre = latest.get((program, mentee, "pre"))
        post = latest.get((program, mentee, "post"))
        if pre and post:
            matched.append((pre, post))
        elif pre:
            pre_only.append(pre)
        elif post:
            post_only.append(post)
    return Pairs(matched, pre_only, post_only)


def by_instrument(rows: Iterable[ScoreRow]) -> dict[str, list[ScoreRow]]:
    found: dict[str, list[ScoreRow]] = {}
    for row in rows:
        found.setdefault(row.instrument, []).append(row)
    return found
