"""The audit: for each hidden figure, the interval an outsider can narrow it to.

The outsider knows every shown figure, that counts are whole and not negative, and every
relation of ``tables``. For each hidden value the audit finds its feasible interval, the least
and the greatest value consistent with all of that, by linear programming (HiGHS through
``scipy.optimize.linprog``; ``milp`` when a count's bound comes out fractional). Values that
share no relation are solved apart, and a group bound by a single relation gets its interval
in closed form, so a large release costs little more than its linked parts.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from registry.services.outcomes.disclosure.tables import SUM, Tables

# numpy and scipy are imported in the functions that solve: a worker or command that releases
# nothing never loads them.
if TYPE_CHECKING:
    import numpy as np

Var = tuple[int, str]  # (cell index, layer)
_EPS = 1e-7


@dataclass(frozen=True)
class Interval:
    lower: float
    upper: float

    @property
    def width(self) -> float:
        return self.upper - self.lower


@dataclass
class _Reduced:
    """Relations with every shown value moved to the right-hand side."""

    terms: dict[Var, float]
    equality: bool
    rhs: float


def feasible_intervals(tables: Tables, hidden: set[int], audited: Iterable[Var]
                       ) -> dict[Var, Interval]:
    """The feasible interval of each audited value, given which cells are hidden."""
    free = {(c, layer) for c in hidden if not tables.cells[c].shown_before
            for layer in tables.layers[c]}
    free |= {(c, layer) for c, cell in enumerate(tables.cells) if cell.lower_bound
             for layer in tables.layers[c]}
    lower, upper = _simple_bounds(tables, free)
    reduced: list[_Reduced] = []
    for relation in tables.relations:
        terms: dict[Var, float] = {}
        rhs = relation.rhs
        for cell, layer, coefficient in relation.terms:
            var = (cell, layer)
            if var in free:
                terms[var] = terms.get(var, 0.0) + coefficient
            else:
                rhs -= coefficient * (tables.cells[cell].values.get(layer) or 0.0)
        terms = {v: c for v, c in terms.items() if c != 0.0}
        if len(terms) == 1:
            _tighten(next(iter(terms.items())), relation.equality, rhs, lower, upper)
        elif terms:
            reduced.append(_Reduced(terms, relation.equality, rhs))
    wanted = set(audited)
    result = {v: Interval(_value(tables, v), _value(tables, v)) for v in wanted - free}
    for group, relations in _components(free, reduced):
        targets = [v for v in group if v in wanted]
        if targets:
            result.update(_solve(group, relations, targets, lower, upper))
    return result


def _value(tables: Tables, var: Var) -> float:
    return float(tables.cells[var[0]].values.get(var[1]) or 0.0)


def _simple_bounds(tables: Tables, free: set[Var]) -> tuple[dict[Var, float], dict[Var, float]]:
    lower: dict[Var, float] = {}
    upper: dict[Var, float] = {}
    for var in free:
        cell = tables.cells[var[0]]
        signed = var[1] == SUM and cell.signed
        lower[var] = -math.inf if signed else 0.0
        upper[var] = math.inf
        if cell.lower_bound and not signed and cell.values.get(var[1]) is not None:
            lower[var] = float(cell.values[var[1]] or 0.0)
    return lower, upper


def _tighten(term: tuple[Var, float], equality: bool, rhs: float,
             lower: dict[Var, float], upper: dict[Var, float]) -> None:
    var, coefficient = term
    bound = rhs / coefficient
    if equality:
        lower[var], upper[var] = max(lower[var], bound), min(upper[var], bound)
    elif coefficient > 0:
        lower[var] = max(lower[var], bound)
    else:
        upper[var] = min(upper[var], bound)


def _components(free: set[Var], relations: list[_Reduced]
                ) -> Iterable[tuple[list[Var], list[_Reduced]]]:
    parent = {v: v for v in free}

    def find(v: Var) -> Var:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for relation in relations:
        first, *others = relation.terms
        for other in others:
            parent[find(other)] = find(first)
    groups: dict[Var, list[Var]] = defaultdict(list)
    for var in free:
        groups[find(var)].append(var)
    bound: dict[Var, list[_Reduced]] = defaultdict(list)
    for relation in relations:
        bound[find(next(iter(relation.terms)))].append(relation)
    for root, group in groups.items():
        yield sorted(group), bound.get(root, [])


def _solve(group: list[Var], relations: list[_Reduced], targets: list[Var],
           lower: dict[Var, float], upper: dict[Var, float]) -> dict[Var, Interval]:
    if not relations:
        return {v: Interval(lower[v], upper[v]) for v in targets}
    if len(relations) == 1 and _unit_coefficients(relations[0]):
        return _closed_form(relations[0], targets, lower, upper)
    return _linear_program(group, relations, targets, lower, upper)


def _unit_coefficients(relation: _Reduced) -> bool:
    values = set(relation.terms.values())
    return values in ({1.0}, {-1.0})


def _closed_form(relation: _Reduced, targets: list[Var], lower: dict[Var, float],
                 upper: dict[Var, float]) -> dict[Var, Interval]:
    """One relation sum(x) (== or >=) b over boxed values (coefficients all +1 or all -1)."""
    sign = next(iter(relation.terms.values()))
    rhs = relation.rhs * sign  # sum(x) == rhs; or sum(x) >= rhs (sign +1), <= rhs (sign -1)
    low_sum, high_sum = _Sum(), _Sum()
    for var in relation.terms:
        low_sum.add(lower[var])
        high_sum.add(upper[var])
    result = {}
    for var in targets:
        low, high = lower[var], upper[var]
        if relation.equality or sign > 0:
            low = max(low, rhs - high_sum.without(upper[var]))
        if relation.equality or sign < 0:
            high = min(high, rhs - low_sum.without(lower[var]))
        result[var] = Interval(low, high)
    return result


class _Sum:
    """A sum of bounds that may be infinite, from which one term can be taken out again."""

    def __init__(self) -> None:
        self.finite = 0.0
        self.infinite: dict[float, int] = {math.inf: 0, -math.inf: 0}

    def add(self, value: float) -> None:
        if math.isinf(value):
            self.infinite[value] += 1
        else:
            self.finite += value

    def without(self, value: float) -> float:
        plus = self.infinite[math.inf] - (value == math.inf)
        minus = self.infinite[-math.inf] - (value == -math.inf)
        if plus and minus:
            return math.nan
        if plus or minus:
            return math.inf if plus else -math.inf
        return self.finite - (0.0 if math.isinf(value) else value)


def _linear_program(group: list[Var], relations: list[_Reduced], targets: list[Var],
                    lower: dict[Var, float], upper: dict[Var, float]) -> dict[Var, Interval]:
    import numpy as np

    column = {v: i for i, v in enumerate(group)}
    equalities = [r for r in relations if r.equality]
    inequalities = [r for r in relations if not r.equality]
    a_eq = _matrix(equalities, column)
    a_ub = -_matrix(inequalities, column)  # linprog wants A_ub x <= b_ub; ours are >=
    b_eq = np.array([r.rhs for r in equalities])
    b_ub = -np.array([r.rhs for r in inequalities])
    bounds = [(None if math.isinf(lower[v]) else lower[v],
               None if math.isinf(upper[v]) else upper[v]) for v in group]
    integral = np.array([v[1] != SUM for v in group])
    result = {}
    for var in targets:
        ends = []
        for direction in (1.0, -1.0):
            objective = np.zeros(len(group))
            objective[column[var]] = direction
            ends.append(_optimum(objective, a_ub, b_ub, a_eq, b_eq, bounds, integral,
                                 var[1] != SUM) * direction)
        result[var] = Interval(ends[0], ends[1])
    return result


def _optimum(objective: np.ndarray, a_ub: np.ndarray, b_ub: np.ndarray, a_eq: np.ndarray,
             b_eq: np.ndarray, bounds: list[tuple[float | None, float | None]],
             integral: np.ndarray, whole: bool) -> float:
    """min objective.x; -inf when unbounded. Whole-number values get their integer optimum."""
    import numpy as np
    from scipy.optimize import linprog

    solution = linprog(objective, A_ub=a_ub if len(b_ub) else None,
                       b_ub=b_ub if len(b_ub) else None, A_eq=a_eq if len(b_eq) else None,
                       b_eq=b_eq if len(b_eq) else None, bounds=bounds, method="highs")
    if solution.status == 3:
        return -math.inf
    if solution.status != 0:
        raise ValueError(f"the audit could not be solved: {solution.message}")
    value = float(solution.fun or 0.0)
    x = np.asarray(solution.x)
    if whole and np.any(integral & (np.abs(x - np.round(x)) > _EPS)):
        value = _integer_optimum(objective, a_ub, b_ub, a_eq, b_eq, bounds, integral, value)
    return value


def _integer_optimum(objective: np.ndarray, a_ub: np.ndarray, b_ub: np.ndarray,
                     a_eq: np.ndarray, b_eq: np.ndarray,
                     bounds: list[tuple[float | None, float | None]], integral: np.ndarray,
                     relaxed: float) -> float:
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    constraints = []
    if len(b_ub):
        constraints.append(LinearConstraint(a_ub, -np.inf, b_ub))
    if len(b_eq):
        constraints.append(LinearConstraint(a_eq, b_eq, b_eq))
    low = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
    high = np.array([np.inf if b[1] is None else b[1] for b in bounds])
    solution = milp(objective, constraints=constraints, integrality=integral.astype(int),
                    bounds=Bounds(low, high))
    return float(solution.fun) if solution.status == 0 and solution.fun is not None else relaxed


def _matrix(relations: list[_Reduced], column: dict[Var, int]) -> np.ndarray:
    import numpy as np

    matrix = np.zeros((len(relations), len(column)))
    for row, relation in enumerate(relations):
        for var, coefficient in relation.terms.items():
            matrix[row, column[var]] = coefficient
    return matrix
