"""The figures of a release as one system of linked tables: cells, their values, and the
linear relations an outsider knows between them.

Every total and stratum of every report is a cell; a cell has one value per *layer* (each
population count, and the sum of observations where reports carry it). Cells that are the
same figure in several reports are one cell: a month stratum of a quarter's report and that
month's report total, a hub stratum of a national report and that hub's report total, the
total of ``active-rural-spokes`` and the ``rural`` stratum of ``active-spokes``. The relations
are those anyone can derive from how the reports are built:

- a partition stratifier: its strata add up to the total (per layer);
- an overlapping stratifier: each stratum is at most the total, together at least the total;
- a proportion: the numerator is at most the denominator;
- a subset measure: each figure is at most the matching figure of the other measure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from adapters.measure_report import ReportData
from registry.services.outcomes.measures import Catalogue, Indicator
from registry.services.outcomes.periods import PeriodError, parse_period, period_of_dates

Identity = tuple[str, str, str, str, str | None, str | None]
SUM = "observation-sum"


@dataclass(frozen=True)
class CellRef:
    """Where a figure is, in words an operator reads."""

    indicator: str
    subject: str
    period: str
    stratifier: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = f" {self.stratifier}={self.value}" if self.stratifier else " total"
        return f"{self.indicator} {self.subject} {self.period}{where}"


@dataclass
class Cell:
    """One figure of the release (possibly shown in several reports)."""

    identity: Identity
    refs: list[CellRef]
    values: dict[str, float | None]  # layer -> true value (None: not known to us)
    current: bool  # in the reports being released (False: an earlier release)
    published: bool  # shown as an exact figure
    lower_bound: bool = False  # shown, but only as a lower bound (a partial roll-up figure)
    is_total: bool = False
    primary: bool = False
    signed: bool = False  # observations may be negative (no bound at zero)
    masked_before: bool = False  # masked in an earlier release: stays masked
    shown_before: bool = False  # shown exactly in an earlier release: known for good

    @property
    def label(self) -> str:
        return str(self.refs[0])


@dataclass(frozen=True)
class Relation:
    """sum(coefficient * value) == rhs, or >= rhs, over (cell index, layer) terms."""

    terms: tuple[tuple[int, str, float], ...]
    equality: bool
    rhs: float = 0.0


@dataclass
class Tables:
    cells: list[Cell] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    index: dict[Identity, int] = field(default_factory=dict)
    layers: dict[int, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Placed:
    """A report with its indicator, and whether it is being released now."""

    data: ReportData
    indicator: Indicator
    current: bool


def build_tables(reports: Sequence[Placed], measures: Catalogue) -> Tables:
    """The cells and relations of every report given (current and earlier)."""
    tables = Tables()
    placed: list[tuple[Placed, int, dict[str, dict[str, int]]]] = []
    for report in reports:
        total = _add(tables, report, None, None, measures)
        strata = {code: {value: _add(tables, report, code, value, measures)
                         for value in values}
                  for code, values in report.data.strata.items()}
        placed.append((report, total, strata))
    for report, total, strata in placed:
        _relate(tables, report.indicator, total, strata)
    _relate_subsets(tables, placed, measures)
    return tables


def layers_of(indicator: Indicator) -> tuple[str, ...]:
    return indicator.populations + ((SUM,) if indicator.carries_sum else ())


def _add(tables: Tables, report: Placed, stratifier: str | None, value: str | None,
         measures: Catalogue) -> int:
    data, indicator = report.data, report.indicator
    figure = data.total if stratifier is None else data.strata[stratifier][value or ""]
    identity = identity_of(indicator, data, stratifier, value, measures)
    ref = CellRef(indicator.key, data.subject, _period_label(data), stratifier, value)
    layers = layers_of(indicator)
    values: dict[str, float | None] = {}
    for layer in layers:
        if figure.masked:
            values[layer] = None
        elif layer == SUM:
            values[layer] = figure.observation_sum
        else:
            values[layer] = float(figure.counts.get(layer, 0))
    known = not figure.masked
    if identity in tables.index:
        index = tables.index[identity]
        _merge(tables.cells[index], ref, values, report.current, known)
        return index
    cell = Cell(identity, [ref], values, report.current, known,
                lower_bound=known and figure.masked_inputs > 0,
                is_total=stratifier is None, signed=indicator.method == "average",
                masked_before=not report.current and not known,
                shown_before=not report.current and known)
    tables.index[identity] = len(tables.cells)
    tables.layers[len(tables.cells)] = layers
    tables.cells.append(cell)
    return len(tables.cells) - 1


def _merge(cell: Cell, ref: CellRef, values: dict[str, float | None], current: bool,
           known: bool) -> None:
    """One figure met again in another report: the values must agree."""
    cell.refs.append(ref)
    cell.masked_before = cell.masked_before or (not current and not known)
    cell.shown_before = cell.shown_before or (not current and known)
    for layer, value in values.items():
        mine = cell.values.get(layer)
        if mine is not None and value is not None and abs(mine - value) > 1e-6:
            raise ValueError(f"inconsistent figures: {cell.label} is {mine:g} but {ref} is "
                             f"{value:g} ({layer})")
        if mine is None:
            cell.values[layer] = value
    if current and not cell.current:
        cell.current, cell.published = True, known
    elif current:
        cell.published = cell.published and known
    elif known and not cell.current:
        cell.published = True


def identity_of(indicator: Indicator, data: ReportData, stratifier: str | None,
              value: str | None, measures: Catalogue) -> Identity:
    url, subject, start, end = indicator.url, data.subject, data.period_start, data.period_end
    if stratifier is None and indicator.stratum_of is not None:
        source = measures[indicator.stratum_of.measure]
        url, stratifier, value = source.url, indicator.stratum_of.stratifier, \
            indicator.stratum_of.value
    if stratifier and stratifier.startswith("period-") and value:
        try:
            period = parse_period(value)
            return (url, subject, period.start.isoformat(), period.end.isoformat(), None, None)
        except PeriodError:
            pass
    if stratifier == "hub" and value and value != subject:
        return (url, value, start, end, None, None)
    return (url, subject, start, end, stratifier, value)


def _relate(tables: Tables, indicator: Indicator, total: int,
            strata: dict[str, dict[str, int]]) -> None:
    layers = layers_of(indicator)
    for code, cells in strata.items():
        stratifier = indicator.stratifier(code)
        members = [c for c in cells.values() if c != total]
        if stratifier is None or not members:
            continue
        for layer in layers:
            signed = layer == SUM and indicator.method == "average"
            if stratifier.partition:
                terms = [(c, layer, 1.0) for c in members] + [(total, layer, -1.0)]
                tables.relations.append(Relation(tuple(terms), equality=True))
            elif not signed:
                _relate_overlap(tables, total, members, layer)
    if indicator.scoring == "proportion":
        for cell in {total, *(c for cells in strata.values() for c in cells.values())}:
            tables.relations.append(Relation(((cell, "denominator", 1.0),
                                              (cell, "numerator", -1.0)), equality=False))


def _relate_overlap(tables: Tables, total: int, members: Iterable[int], layer: str) -> None:
    members = list(members)
    for cell in members:
        tables.relations.append(Relation(((total, layer, 1.0), (cell, layer, -1.0)),
                                         equality=False))
    terms = [(c, layer, 1.0) for c in members] + [(total, layer, -1.0)]
    tables.relations.append(Relation(tuple(terms), equality=False))


def _relate_subsets(tables: Tables, placed: list[tuple[Placed, int, dict[str, dict[str, int]]]],
                    measures: Catalogue) -> None:
    for report, total, strata in placed:
        if not report.indicator.subset_of or report.indicator.subset_of not in measures:
            continue
        superset = measures[report.indicator.subset_of]
        layer = report.indicator.populations[0]
        if superset.populations[0] != layer:
            continue
        for cell in {total, *(c for cells in strata.values() for c in cells.values())}:
            url, *rest = tables.cells[cell].identity
            other = tables.index.get((superset.url, *rest))  # type: ignore[arg-type]
            if other is not None:
                tables.relations.append(Relation(((other, layer, 1.0), (cell, layer, -1.0)),
                                                 equality=False))


def _period_label(data: ReportData) -> str:
    try:
        return period_of_dates(data.period_start, data.period_end).code
    except PeriodError:
        return f"{data.period_start}..{data.period_end}"
