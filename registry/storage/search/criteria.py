"""SQL for one search criterion: a set of ``resource.pk`` that match it.

Each criterion becomes ``resource.pk IN (SELECT resource_pk FROM idx_<type> WHERE ...)``
on an index whose leading columns are (res_type, param, value), so every look-up is an index
range scan whatever the store's size.

A criterion is taken in two steps. ``bind`` does the per-request work: it parses each value
and reduces it to the variant of SQL it needs and the arguments bound into that SQL (folded
strings, date ranges, split tokens). The SQL builders then see only the ``CriterionShape``,
never a value, and take the arguments as named bind parameters in the order ``bind`` listed
them. Equal shapes therefore give the same SQL, which the engine builds once per shape:
building a statement costs more Python than PostgreSQL takes to run it.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, cast

import sqlalchemy as sa

from registry.errors import InvalidRequest
from registry.storage.database import starts_with
from registry.storage.search.model import Criterion, split_prefix
from registry.storage.search.references import parse_reference
from registry.storage.tables import INDEX_TABLES, idx_reference, resource
from registry.storage.values import date_range, fold, number_range, prefix_upper_bound

Condition = sa.ColumnElement[bool]
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON = 111.320
UNITS_TO_KM = {"km": 1.0, "m": 0.001, "mi": 1.609344, "[mi_i]": 1.609344}
# Parameter types whose look-ups are equalities, prefixes or lists (see ``one_plan_fits``).
VALUE_FREE_PLAN_TYPES = frozenset({"string", "token", "reference", "uri"})

# The caller's visibility as SQL: (res_type, pk column) -> condition or None (see engine.Scope).
Scope = Callable[[str, sa.ColumnElement[Any]], Condition | None]
Args = tuple[Any, ...]


@dataclass
class Take:
    """The next bind parameter of a value's SQL (``name_value_0``, ``name_value_1``, ... in the
    order taken; ``expanding`` for a list bound into ``IN``), and where that SQL goes."""

    name: str
    value: int
    in_chain: bool = False  # the look-up of a chain's targets (see ``starts_with``)
    counter: Iterator[int] = field(default_factory=itertools.count)

    def __call__(self, *, expanding: bool = False) -> sa.BindParameter[Any]:
        return sa.bindparam(_arg_name(self.name, self.value, next(self.counter)),
                            expanding=expanding)


@dataclass(frozen=True)
class CriterionShape:
    """Everything that decides a criterion's SQL and none of its values."""

    criterion: Criterion  # with ``values=()``
    variants: tuple[Hashable, ...]  # one per OR-ed value
    negative: bool  # ``:not``, ``:missing=true``: the resources found are excluded


@dataclass(frozen=True)
class BoundCriterion:
    """A criterion's shape and, per OR-ed value, the arguments bound into its SQL."""

    shape: CriterionShape
    args: tuple[Args, ...]

    def params(self, name: str) -> dict[str, Any]:
        """Bind parameter values for the SQL built by ``criterion_condition(shape, name)``."""
        return {_arg_name(name, j, k): arg for j, args in enumerate(self.args)
                for k, arg in enumerate(args)}


def bind(criterion: Criterion, base_url: str) -> BoundCriterion:
    """Parse the criterion's values (400 for a malformed one) into its shape and arguments."""
    negative = criterion.modifier == "not" or (criterion.modifier == "missing"
                                               and criterion.values[0] == "true")
    plans: list[tuple[Hashable, Args]] = []
    if criterion.modifier != "missing":
        planner = PLANNERS[criterion.param.type]
        plans = [planner(value, criterion, base_url) for value in criterion.values]
    shape = CriterionShape(replace(criterion, values=()), tuple(v for v, _ in plans), negative)
    return BoundCriterion(shape, tuple(a for _, a in plans))


def _arg_name(name: str, value: int, arg: int) -> str:
    return f"{name}_{value}_{arg}"


def one_plan_fits(shape: CriterionShape) -> bool:
    """Does the criterion's SQL call for the same plan whatever its values?

    Equality, prefix and list look-ups do: each is a scan of the index tables' (type, param,
    value) index. Ranges of dates, numbers and quantities and ``near`` boxes do not (a
    one-sided range can match a handful of rows or all of them), nor does ``:contains``.
    Used to let PostgreSQL keep one plan (see ``storage.database.one_plan_for_any_value``).
    """
    if shape.criterion.modifier in ("missing", "contains"):
        return shape.criterion.modifier == "missing"
    return shape.criterion.param.type in VALUE_FREE_PLAN_TYPES


def criterion_condition(shape: CriterionShape, name: str,
                        scope: Scope | None = None) -> Condition:
    """A condition on ``resource.pk`` (the outer query's row) for one criterion, its values
    bound as ``name_*`` parameters. With a ``scope``, chains and ``_has`` only go through
    resources the caller may see."""
    matching = matching_pks(shape, name)
    if shape.criterion.reverse:
        matching = _through_reverse(shape.criterion, matching, scope)
    if shape.criterion.chain:
        matching = _through_chain(shape.criterion, matching, scope)
    if shape.negative:
        return resource.c.pk.not_in(matching)
    return resource.c.pk.in_(matching)


def index_pks(shape: CriterionShape, name: str,
              scope: Scope | None = None) -> sa.Select[tuple[int]] | None:
    """The pks a positive criterion matches, straight from the index tables, or ``None`` when
    they are not all current, non-deleted resources of the searched type.

    Index rows exist only for the current version of a resource that is not deleted (a new
    version or a deletion replaces them), and carry its type; a chain's rows are the source
    type's own references (followed only to targets ``scope`` lets through). ``_has`` finds
    targets through any stored row, so it is excluded, as are negative criteria.
    """
    if shape.negative or shape.criterion.reverse:
        return None
    matching = matching_pks(shape, name)
    if shape.criterion.chain:
        matching = _through_chain(shape.criterion, matching, scope)
    return matching


def matching_pks(shape: CriterionShape, name: str) -> sa.Select[tuple[int]]:
    """pks of resources of the criterion's type with a value matching the criterion."""
    criterion = shape.criterion
    param = criterion.param
    table = INDEX_TABLES[param.index_kind]
    stmt = sa.select(table.c.resource_pk).where(table.c.res_type == criterion.res_type,
                                                table.c.param == param.code)
    if criterion.modifier == "missing":
        return stmt
    build = SQL_BUILDERS[param.type]
    in_chain = criterion.chain is not None
    alternatives = [build(table, variant, Take(name, j, in_chain))
                    for j, variant in enumerate(shape.variants)]
    return stmt.where(sa.or_(*alternatives))


def _through_chain(criterion: Criterion, target_pks: sa.Select[tuple[int]],
                   scope: Scope | None = None) -> sa.Select[tuple[int]]:
    """Resources whose reference points at a matching target, looked up from the targets.

    The matching targets are few; their (type, id) pairs drive an index range on
    ``idx_reference`` rather than every reference of the parameter being joined to targets.
    With a ``scope``, only targets the caller may see are followed.
    """
    assert criterion.chain is not None
    ref, target = idx_reference.c, CHAIN_TARGET
    targets = sa.select(target.c.res_id, target.c.res_type).where(
        target.c.pk.in_(target_pks),
        CHAIN_TARGET_TYPE_UNINDEXED.in_(criterion.chain.target_types))
    if scope is not None:
        targets = targets.where(_any_type(scope, criterion.chain.target_types))
    return sa.select(ref.resource_pk).where(
        ref.res_type == criterion.chain.source_type,
        ref.param == criterion.chain.reference.code,
        sa.tuple_(ref.target_id, ref.target_type).in_(targets))


def unindexed(column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    """The same value, but not a candidate for an index scan (``column || ''``).

    Used where a short pk list from an index table must drive the look-up: otherwise a
    planner without statistics may walk the whole ``res_type`` range and probe the list.
    """
    return column + ""


# Built once, as constructing them per search is measurable. Each alias appears at
# most once on any path from the outer query down (chains and _has nest, never into
# themselves), so sharing the object never makes SQLAlchemy correlate a subquery to itself.
CHAIN_TARGET = resource.alias("chain_target")
HAS_TARGET = resource.alias("has_target")
CHAIN_TARGET_TYPE_UNINDEXED = unindexed(CHAIN_TARGET.c.res_type)


def _through_reverse(criterion: Criterion, source_pks: sa.Select[tuple[int]],
                     scope: Scope | None = None) -> sa.Select[tuple[int]]:
    assert criterion.reverse is not None
    ref, target = idx_reference, HAS_TARGET
    stmt = (sa.select(target.c.pk)
            .join(ref, sa.and_(target.c.res_type == ref.c.target_type,
                               target.c.res_id == ref.c.target_id))
            .where(ref.c.res_type == criterion.reverse.source_type,
                   ref.c.param == criterion.reverse.reference_code,
                   ref.c.resource_pk.in_(source_pks)))
    restriction = scope(criterion.reverse.source_type, ref.c.resource_pk) if scope else None
    return stmt if restriction is None else stmt.where(restriction)


def _any_type(scope: Scope, types: tuple[str, ...]) -> Condition:
    """Rows of the chain's targets the scope lets through, whichever of ``types`` they are."""
    branches = []
    for res_type in types:
        restriction = scope(res_type, CHAIN_TARGET.c.pk)
        is_type = CHAIN_TARGET_TYPE_UNINDEXED == res_type  # noqa: SIM300 - column first: SQL
        branches.append(is_type if restriction is None else sa.and_(is_type, restriction))
    return sa.or_(*branches) if branches else sa.false()


# ---- per type: a value's plan (variant, arguments) and the SQL of a variant -----------------

def _string_plan(value: str, criterion: Criterion, _base: str) -> tuple[Hashable, Args]:
    if criterion.modifier == "exact":
        return "exact", (value,)
    folded = fold(value)
    if criterion.modifier == "contains":
        return "contains", (f"%{_escape_like(folded)}%",)
    return "prefix", (folded, prefix_upper_bound(folded))


def _string_sql(table: sa.Table, variant: Hashable, take: Take) -> Condition:
    if variant == "exact":
        return table.c.exact == take()
    if variant == "contains":
        return table.c.value.like(take(), escape="\\")
    return starts_with(table.c.value, take(), take(), estimate_as_prefix=take.in_chain)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _token_plan(value: str, criterion: Criterion, _base: str) -> tuple[Hashable, Args]:
    if criterion.modifier == "text":
        folded = fold(value)
        return "text", (folded, prefix_upper_bound(folded))
    if "|" not in value:
        return "code", (value,)
    system, _, code = value.partition("|")
    if not system:
        return "no-system", (code,)
    if not code:
        return "system", (system,)
    return "system-code", (system, code)


def _token_sql(table: sa.Table, variant: Hashable, take: Take) -> Condition:
    c = table.c
    if variant == "text":
        return starts_with(c.text, take(), take(), estimate_as_prefix=take.in_chain)
    if variant == "code":
        return c.code == take()
    if variant == "no-system":
        return sa.and_(c.system.is_(None), c.code == take())
    if variant == "system":
        return c.system == take()
    return sa.and_(c.system == take(), c.code == take())


def _reference_plan(value: str, criterion: Criterion, base: str) -> tuple[Hashable, Args]:
    if "/" not in value:
        types = (criterion.modifier,) if criterion.modifier else criterion.param.targets
        return ("id", types), (value,)
    row = parse_reference(value, base)
    if row["target_type"] and row["url"] is None:
        return "typed", (row["target_type"], row["target_id"])
    return "url", (value.split("|")[0],)


def _reference_sql(table: sa.Table, variant: Hashable, take: Take) -> Condition:
    c = table.c
    if variant == "typed":
        return sa.and_(c.target_type == take(), c.target_id == take())
    if variant == "url":
        return c.url == take()
    _, types = cast(tuple[str, tuple[str, ...]], variant)  # ("id", types) from _reference_plan
    condition = c.target_id == take()
    return sa.and_(condition, c.target_type.in_(types)) if types else condition


def _date_plan(value: str, criterion: Criterion, _base: str) -> tuple[Hashable, Args]:
    prefix, text = split_prefix(value)
    span = date_range(text)
    if span is None:
        raise InvalidRequest(f"{value!r} is not a FHIR date", criterion.param.code)
    low, high = span
    if prefix == "ap":
        approximate = _approximate_date(span)
        return prefix, (low - approximate, high + approximate)
    return prefix, (low, high)


def _approximate_date(span: tuple[int, int]) -> int:
    now = time.time_ns() // 1000
    return max(abs(now - span[0]) // 10, 86_400_000_000)


def _date_sql(table: sa.Table, prefix: Hashable, take: Take) -> Condition:
    """Range comparisons of the stored [low, high] with the value's (``ap`` widened)."""
    c = table.c
    low, high = take(), take()
    conditions: dict[Hashable, Callable[[], Condition]] = {
        "eq": lambda: sa.and_(c.low >= low, c.high <= high),
        "ne": lambda: sa.or_(c.low < low, c.high > high),
        "gt": lambda: c.high > high,
        "lt": lambda: c.low < low,
        "ge": lambda: c.high >= low,
        "le": lambda: c.low <= high,
        "sa": lambda: c.low > high,
        "eb": lambda: c.high < low,
        "ap": lambda: sa.and_(c.low <= high, c.high >= low),
    }
    return conditions[prefix]()


def _number_plan(value: str, criterion: Criterion, _base: str) -> tuple[Hashable, Args]:
    prefix, text = split_prefix(value)
    span = number_range(text)
    if span is None:
        raise InvalidRequest(f"{value!r} is not a number", criterion.param.code)
    exact = float(text)
    if prefix in ("eq", "ne"):
        return prefix, span
    if prefix == "ap":
        margin = abs(exact) * 0.1
        return prefix, (exact - margin, exact + margin)
    return prefix, (exact,)


def _number_sql(table: sa.Table, prefix: Hashable, take: Take) -> Condition:
    value = table.c.low
    if prefix == "eq":
        return sa.and_(value >= take(), value < take())
    if prefix == "ne":
        return sa.or_(value < take(), value >= take())
    if prefix == "ap":
        return sa.and_(value >= take(), value <= take())
    operators: dict[Hashable, Callable[[sa.BindParameter[Any]], Condition]] = {
        "gt": lambda x: value > x, "sa": lambda x: value > x, "lt": lambda x: value < x,
        "eb": lambda x: value < x, "ge": lambda x: value >= x, "le": lambda x: value <= x}
    return operators[prefix](take())


def _quantity_plan(value: str, criterion: Criterion, base: str) -> tuple[Hashable, Args]:
    number, _, unit = value.partition("|")
    system, _, code = unit.partition("|")
    prefix, args = _number_plan(number, criterion, base)
    extra = ((code,) if code else ()) + ((system,) if system else ())
    return (prefix, bool(code), bool(system)), (*args, *extra)


def _quantity_sql(table: sa.Table, variant: Hashable, take: Take) -> Condition:
    prefix, by_code, by_system = cast(tuple[Hashable, bool, bool], variant)  # _quantity_plan's
    condition = _number_sql(table, prefix, take)
    if by_code:
        condition = sa.and_(condition, table.c.code == take())
    if by_system:
        condition = sa.and_(condition, table.c.system == take())
    return condition


def _uri_plan(value: str, criterion: Criterion, _base: str) -> tuple[Hashable, Args]:
    if criterion.modifier == "below":
        return "below", (value, prefix_upper_bound(value))
    if criterion.modifier == "above":
        return "above", (uri_parents(value, criterion.param.code),)
    return "eq", (value,)


MAX_URI = 4096


def uri_parents(value: str, code: str) -> list[str]:
    """The URI and its parents on path boundaries, as ``:above`` matches them
    (``.../ValueSet/1/_history/2`` -> ``.../ValueSet/1/_history``, ``.../ValueSet/1``, ...):
    as many as the URI has segments, never one per character."""
    if len(value) > MAX_URI:
        raise InvalidRequest(f"{code}:above takes a URI of at most {MAX_URI} characters", code)
    parts = value.split("/")
    return sorted({"/".join(parts[:n]) for n in range(1, len(parts) + 1)} - {""})


def _uri_sql(table: sa.Table, variant: Hashable, take: Take) -> Condition:
    if variant == "below":
        return starts_with(table.c.value, take(), take(), estimate_as_prefix=take.in_chain)
    if variant == "above":
        return table.c.value.in_(take(expanding=True))
    return table.c.value == take()


def _near_plan(value: str, criterion: Criterion, _base: str) -> tuple[Hashable, Args]:
    """``near=lat|lon|distance|unit``: a bounding box (indexed), then the distance itself."""
    lat, lon, radius_km = parse_near(value, criterion.param.code)
    dlat = radius_km / KM_PER_DEGREE_LAT
    scale = KM_PER_DEGREE_LON * max(math.cos(math.radians(lat)), 1e-6)
    dlon = radius_km / scale
    return "near", (lat - dlat, lat + dlat, lon - dlon, lon + dlon, lon, scale, lat,
                    radius_km * radius_km)


def _near_sql(table: sa.Table, _variant: Hashable, take: Take) -> Condition:
    c = table.c
    in_box = sa.and_(c.latitude.between(take(), take()), c.longitude.between(take(), take()))
    dx = (c.longitude - take()) * take()
    dy = (c.latitude - take()) * KM_PER_DEGREE_LAT
    return sa.and_(in_box, dx * dx + dy * dy <= take())


MAX_NEAR_KM = 20_038.0  # half the Earth's circumference: every point is nearer


def parse_near(value: str, code: str) -> tuple[float, float, float]:
    parts = value.split("|")
    try:
        lat, lon = float(parts[0]), float(parts[1])
        distance = float(parts[2]) if len(parts) > 2 and parts[2] else 50.0
    except (ValueError, IndexError):
        raise InvalidRequest("near takes latitude|longitude|distance|unit", code) from None
    unit = parts[3] if len(parts) > 3 and parts[3] else "km"
    if unit not in UNITS_TO_KM or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidRequest("near: unit must be km, m or mi and coordinates in range", code)
    km = distance * UNITS_TO_KM[unit]
    if not 0 <= km <= MAX_NEAR_KM:  # also refuses inf and nan
        raise InvalidRequest(f"near: the distance must be between 0 and {MAX_NEAR_KM:,.0f} km",
                             code)
    return lat, lon, km


PLANNERS: dict[str, Callable[[str, Criterion, str], tuple[Hashable, Args]]] = {
    "string": _string_plan,
    "token": _token_plan,
    "reference": _reference_plan,
    "date": _date_plan,
    "number": _number_plan,
    "quantity": _quantity_plan,
    "uri": _uri_plan,
    "special": _near_plan,
}
SQL_BUILDERS: dict[str, Callable[[sa.Table, Hashable, Take], Condition]] = {
    "string": _string_sql,
    "token": _token_sql,
    "reference": _reference_sql,
    "date": _date_sql,
    "number": _number_sql,
    "quantity": _quantity_sql,
    "uri": _uri_sql,
    "special": _near_sql,
}
