"""Disclosure control: the one gate every release of aggregate outcomes passes.

``protect`` takes the exact reports to be released together (every indicator, stratifier and
subject of one period) and returns them with small figures masked and an audit:

1. *primary suppression*: a figure counting from 1 to ``threshold - 1`` members is masked
   (0 is shown); so are means, medians and sums over fewer than ``threshold`` members, and a
   proportion whose denominator less numerator is that small;
2. *complementary suppression*: more figures are masked until none of the masked ones can be
   recomputed from the totals, the other strata of the same report, the other stratifiers'
   tables of the same population and period, or the other reports released with it (and, when
   given, those released before);
3. *the audit*: for every masked value, its feasible interval by linear programming; a release
   whose interval for some value is narrower than the protection level (``threshold`` for
   counts, ``magnitude_ratio`` of the value for sums) fails, naming the figure and why.

Masked figures carry the data-absent-reason ``masked``. Findings are values (``ReleaseAudit``);
``require_safe`` is where a caller that must refuse gets a ``DisclosureError``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from adapters.measure_report import Figure, ReportData, encode_report
from registry.errors import Unprocessable, error
from registry.services.outcomes.disclosure.audit import Interval, feasible_intervals
from registry.services.outcomes.disclosure.suppression import (
    Protection,
    audited_vars,
    complete,
    primary_cells,
)
from registry.services.outcomes.disclosure.tables import (
    SUM,
    Placed,
    Tables,
    build_tables,
    identity_of,
)
from registry.services.outcomes.measures import Catalogue, catalogue
from registry.services.outcomes.reports import read_report

DEFAULT_THRESHOLD = 11


class DisclosureError(Unprocessable):
    """A release refused because a masked figure could be recomputed (422)."""


@dataclass(frozen=True)
class Policy:
    """How much protection a release gets.

    ``threshold``: counts from 1 to ``threshold - 1`` are masked and every masked count must
    stay uncertain over at least ``threshold`` values. ``magnitude_ratio``: every masked sum
    must stay uncertain over at least this share of its value.
    """

    threshold: int = DEFAULT_THRESHOLD
    magnitude_ratio: float = 0.2

    def __post_init__(self) -> None:
        if self.threshold < 2:
            raise ValueError("the disclosure threshold must be 2 or more")
        if not 0 < self.magnitude_ratio <= 1:
            raise ValueError("the magnitude protection ratio must be in (0, 1]")

    @property
    def protection(self) -> Protection:
        return Protection(self.threshold, self.magnitude_ratio)


@dataclass(frozen=True)
class CellAudit:
    """One masked value and what an outsider can learn of it."""

    figure: str  # e.g. "sessions-held Organization/1 2026-Q3 hub=..."
    layer: str  # population code, or observation-sum
    value: float | None  # the true value (None when not known to this node)
    lower: float
    upper: float
    required: float  # the narrowest interval allowed
    primary: bool

    @property
    def width(self) -> float:
        return self.upper - self.lower

    @property
    def ok(self) -> bool:
        return self.width >= self.required - 1e-9

    @property
    def reason(self) -> str:
        if self.ok:
            return "protected"
        if self.width <= 1e-9:
            return f"its {self.layer} can be recomputed exactly ({_number(self.lower)})"
        return (f"its {self.layer} is known to lie in [{_number(self.lower)}, "
                f"{_number(self.upper)}], narrower than {_number(self.required)}")


@dataclass(frozen=True)
class ReleaseAudit:
    """The audit of one release: every masked value with its feasible interval."""

    threshold: int
    cells: tuple[CellAudit, ...]

    @property
    def failures(self) -> tuple[CellAudit, ...]:
        return tuple(c for c in self.cells if not c.ok)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def masked(self) -> int:
        return len({c.figure for c in self.cells})

    def summary(self) -> str:
        """One line: how many figures are masked, and the first that fails, if any."""
        if self.passed:
            return f"{self.masked} figures masked (threshold {self.threshold}); audit passed"
        first = self.failures[0]
        return (f"{first.figure} is not protected: {first.reason} "
                f"({len(self.failures)} masked values fail the audit)")


@dataclass(frozen=True)
class ProtectedRelease:
    """The reports as they may be released, and the audit that judged them."""

    reports: tuple[dict[str, Any], ...]
    audit: ReleaseAudit


def protect(reports: Sequence[Mapping[str, Any]], policy: Policy = Policy(), *,
            prior: Sequence[Mapping[str, Any]] = (),
            revising: Sequence[Mapping[str, Any]] = (),
            measures: Catalogue | None = None) -> ProtectedRelease:
    """Mask what must be masked in reports released together; never raises on findings.

    ``prior``: reports released earlier (as released, masked) that share figures with these,
    so that nothing hidden there is revealed here and the other way round. ``revising``: the
    earlier release of these same reports, which this one revises: a figure masked there stays
    masked (set beside the revised one, a now-shown figure would tell the hidden old one within
    the revision's difference), whatever its new value.
    """
    measures = measures or catalogue()
    tables, placed = _tables(reports, prior, measures)
    protection = policy.protection
    hidden = (primary_cells(tables, protection) | _unknown_prior(tables)
              | _masked_in(revising, tables, measures))
    hidden = complete(tables, hidden, protection)
    audit = _audit(tables, hidden, policy)
    masked = tuple(_masked(p.data, tables, hidden, policy, measures) for p in placed if p.current)
    return ProtectedRelease(masked, audit)


def audit_release(exact: Sequence[Mapping[str, Any]], released: Sequence[Mapping[str, Any]],
                  policy: Policy = Policy(), *, prior: Sequence[Mapping[str, Any]] = (),
                  measures: Catalogue | None = None) -> ReleaseAudit:
    """Audit a release made elsewhere: ``released`` are the masked versions of ``exact``."""
    measures = measures or catalogue()
    tables, _ = _tables(exact, prior, measures)
    hidden = _unknown_prior(tables)
    for report in released:
        data = read_report(report)
        for stratifier, value, figure in data.figures():
            if figure.masked:
                hidden.add(_index_of(tables, data, stratifier, value, measures))
    primary_cells(tables, policy.protection)
    return _audit(tables, hidden, policy)


def require_safe(release: ProtectedRelease) -> tuple[dict[str, Any], ...]:
    """The reports of a release that passed its audit; DisclosureError naming why if not."""
    if not release.audit.passed:
        raise DisclosureError([error("processing", f"Release refused: {c.figure} is not "
                                     f"protected: {c.reason}") for c in release.audit.failures])
    return release.reports


def _tables(reports: Sequence[Mapping[str, Any]], prior: Sequence[Mapping[str, Any]],
            measures: Catalogue) -> tuple[Tables, list[Placed]]:
    placed = [Placed(data, measures[data.measure], current)
              for current, batch in ((True, reports), (False, prior))
              for data in (read_report(r) for r in batch)]
    return build_tables(placed, measures), placed


def _unknown_prior(tables: Tables) -> set[int]:
    """Figures masked in an earlier release: unknown to outsiders, and kept masked."""
    return {i for i, cell in enumerate(tables.cells)
            if (not cell.current and not cell.published) or cell.masked_before}


def _masked_in(released: Sequence[Mapping[str, Any]], tables: Tables, measures: Catalogue
               ) -> set[int]:
    """The cells of ``tables`` that ``released`` (an earlier release) shows masked."""
    found = set()
    for report in released:
        data = read_report(report)
        for stratifier, value, figure in data.figures():
            identity = identity_of(measures[data.measure], data, stratifier, value, measures)
            if figure.masked and identity in tables.index:
                found.add(tables.index[identity])
    return found


def _audit(tables: Tables, hidden: set[int], policy: Policy) -> ReleaseAudit:
    protection = policy.protection
    intervals = feasible_intervals(tables, hidden, audited_vars(tables, hidden))
    cells = tuple(_cell_audit(tables, var, interval, protection)
                  for var, interval in sorted(intervals.items()))
    return ReleaseAudit(policy.threshold, cells)


def _cell_audit(tables: Tables, var: tuple[int, str], interval: Interval,
                protection: Protection) -> CellAudit:
    cell = tables.cells[var[0]]
    value = cell.values.get(var[1])
    return CellAudit(cell.label, var[1], value, interval.lower, interval.upper,
                     protection.required(var[1], value), cell.primary)


def _masked(data: ReportData, tables: Tables, hidden: set[int], policy: Policy,
            measures: Catalogue) -> dict[str, Any]:
    def mask(stratifier: str | None, value: str | None, figure: Figure) -> Figure:
        index = _index_of(tables, data, stratifier, value, measures)
        return Figure(masked=True) if index in hidden else figure

    strata = {code: {value: mask(code, value, f) for value, f in values.items()}
              for code, values in data.strata.items()}
    return encode_report(replace(data, total=mask(None, None, data.total), strata=strata,
                                 threshold=policy.threshold))


def _index_of(tables: Tables, data: ReportData, stratifier: str | None, value: str | None,
              measures: Catalogue) -> int:
    return tables.index[identity_of(measures[data.measure], data, stratifier, value, measures)]


def _number(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:g}"


__all__ = ["SUM", "CellAudit", "DisclosureError", "Policy", "ProtectedRelease", "ReleaseAudit",
           "audit_release", "protect", "require_safe"]
