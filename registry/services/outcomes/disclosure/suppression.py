"""Which figures to hide: primary suppression of small counts, then complementary
suppression until the audit finds every hidden figure protected.

Complementary cells are chosen the way statistical offices do by hand, one failing figure at
a time: among the shown figures that share a relation with it, the cheapest one that widens
its interval enough (never a total when a stratum will do, smaller figures before larger,
never a zero); if none is enough, the largest. The audit is run again after every round, so
the result is checked by the same linear programs that judge a release.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.services.outcomes.disclosure.audit import Interval, Var, feasible_intervals
from registry.services.outcomes.disclosure.tables import SUM, Tables

_MAX_ROUNDS = 1_000


@dataclass(frozen=True)
class Protection:
    """The protection level asked of each hidden figure."""

    threshold: int
    magnitude_ratio: float

    def required(self, layer: str, value: float | None) -> float:
        if layer != SUM:
            return float(self.threshold)
        return max(self.magnitude_ratio * abs(value or 0.0), 1e-9)

    def is_small(self, count: float | None) -> bool:
        return count is not None and 0 < count < self.threshold


def primary_cells(tables: Tables, protection: Protection) -> set[int]:
    """Current cells whose counts are small (or whose denominator less numerator is)."""
    small = set()
    for index, cell in enumerate(tables.cells):
        if not cell.current:
            continue
        if not cell.published:
            small.add(index)
            continue
        counts = [v for layer, v in cell.values.items() if layer != SUM]
        if "numerator" in cell.values and "denominator" in cell.values:
            counts.append((cell.values["denominator"] or 0) - (cell.values["numerator"] or 0))
        if any(protection.is_small(v) for v in counts):
            small.add(index)
            cell.primary = True
    return small


def audited_vars(tables: Tables, hidden: set[int]) -> list[Var]:
    """Every value of every hidden cell, current or from an earlier release."""
    return [(c, layer) for c in sorted(hidden) for layer in tables.layers[c]]


def failures(tables: Tables, intervals: dict[Var, Interval], protection: Protection
             ) -> list[Var]:
    return [var for var, interval in intervals.items()
            if interval.width < protection.required(var[1], tables.cells[var[0]].values.get(var[1]))
            - 1e-9]


def complete(tables: Tables, hidden: set[int], protection: Protection) -> set[int]:
    """``hidden`` grown with complementary cells until no hidden value is narrower than its
    protection level, or until no shown cell can help any more."""
    hidden = set(hidden)
    neighbours = _neighbours(tables)
    for _ in range(_MAX_ROUNDS):
        intervals = feasible_intervals(tables, hidden, audited_vars(tables, hidden))
        failing = failures(tables, intervals, protection)
        if not failing:
            break
        touched: set[int] = set()
        added = False
        for var in failing:
            if var[0] in touched:
                continue
            deficit = protection.required(var[1], tables.cells[var[0]].values.get(var[1])) \
                - intervals[var].width
            partner = _partner(tables, var, deficit, hidden, neighbours)
            if partner is not None:
                hidden.add(partner)
                touched |= neighbours.get(var, set()) | {var[0], partner}
                added = True
        if not added:
            break
    return hidden


def _neighbours(tables: Tables) -> dict[Var, set[int]]:
    """For each value, the cells it shares a relation with (in the same layer)."""
    near: dict[Var, set[int]] = {}
    for relation in tables.relations:
        cells = {(c, layer) for c, layer, _ in relation.terms}
        for var in cells:
            near.setdefault(var, set()).update(c for c, layer in cells if layer == var[1])
    return near


def _partner(tables: Tables, var: Var, deficit: float, hidden: set[int],
             neighbours: dict[Var, set[int]]) -> int | None:
    candidates = [(c, tables.cells[c]) for c in neighbours.get(var, set())
                  if c not in hidden and tables.cells[c].current and tables.cells[c].published
                  and not tables.cells[c].shown_before]
    layer = var[1]
    usable = [(c, cell, abs(cell.values.get(layer) or 0.0)) for c, cell in candidates
              if abs(cell.values.get(layer) or 0.0) > 0]
    if not usable:
        return None
    enough = [u for u in usable if u[2] >= deficit]
    if enough:
        return min(enough, key=lambda u: (u[1].is_total, u[2], u[0]))[0]
    return max(usable, key=lambda u: (not u[1].is_total, u[2], -u[0]))[0]


