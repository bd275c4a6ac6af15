"""SQL for one search criterion: a set of ``resource.pk`` that match it.

Each criterion becomes ``resource.pk IN (SELECT resource_pk FROM idx_<type> WHERE ...)``
on an index whose leading columns are (res_type, param, value), so every look-up is an index
range scan whatever the store's size.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from registry.errors import InvalidRequest
from registry.services.search.index import parse_reference
from registry.services.search.request import Criterion, split_prefix
from registry.services.search.values import date_range, fold, number_range, prefix_upper_bound
from registry.storage.tables import INDEX_TABLES, idx_reference, resource

Condition = sa.ColumnElement[bool]
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON = 111.320
UNITS_TO_KM = {"km": 1.0, "m": 0.001, "mi": 1.609344, "[mi_i]": 1.609344}


# The caller's visibility as SQL: (res_type, pk column) -> condition or None (see engine.Scope).
Scope = Callable[[str, sa.ColumnElement[Any]], Condition | None]


def criterion_condition(criterion: Criterion, base_url: str,
                        scope: Scope | None = None) -> Condition:
    """A condition on ``resource.pk`` (the outer query's row) for one criterion. With a
    ``scope``, chains and ``_has`` only go through resources the caller may see."""
    matching = matching_pks(criterion, base_url)
    if criterion.reverse:
        matching = _through_reverse(criterion, matching, scope)
    if criterion.chain:
        matching = _through_chain(criterion, matching, scope)
    if is_negative(criterion):
        return resource.c.pk.not_in(matching)
    return resource.c.pk.in_(matching)


def is_negative(criterion: Criterion) -> bool:
    """Does the criterion exclude the resources it finds (``:not``, ``:missing=true``)?"""
    return criterion.modifier == "not" or (criterion.modifier == "missing"
                                           and criterion.values[0] == "true")


def index_pks(criterion: Criterion, base_url: str,
              scope: Scope | None = None) -> sa.Select[tuple[int]] | None:
    """The pks a positive criterion matches, straight from the index tables, or ``None`` when
    they are not all current, non-deleted resources of the searched type.

    Index rows exist only for the current version of a resource that is not deleted (a new
    version or a deletion replaces them), and carry its type; a chain's rows are the source
    type's own references (followed only to targets ``scope`` lets through). ``_has`` finds
    targets through any stored row, so it is excluded, as are negative criteria.
    """
    if is_negative(criterion) or criterion.reverse:
        return None
    matching = matching_pks(criterion, base_url)
    if criterion.chain:
        matching = _through_chain(criterion, matching, scope)
    return matching


def matching_pks(criterion: Criterion, base_url: str) -> sa.Select[tuple[int]]:
    """pks of resources of ``criterion.res_type`` with a value matching the criterion."""
    param = criterion.param
    table = INDEX_TABLES[param.index_kind]
    stmt = sa.select(table.c.resource_pk).where(table.c.res_type == criterion.res_type,
                                                table.c.param == param.code)
    if criterion.modifier == "missing":
        return stmt
    builder = BUILDERS[param.type]
    alternatives = [builder(table, value, criterion, base_url) for value in criterion.values]
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


# Built once, as constructing them costs tens of microseconds per search. Each alias appears at
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
        is_type = res_type == CHAIN_TARGET_TYPE_UNINDEXED
        branches.append(is_type if restriction is None else sa.and_(is_type, restriction))
    return sa.or_(*branches) if branches else sa.false()


def _string(table: sa.Table, value: str, criterion: Criterion, _base: str) -> Condition:
    if criterion.modifier == "exact":
        return table.c.exact == value
    folded = fold(value)
    if criterion.modifier == "contains":
        return table.c.value.like(f"%{_escape_like(folded)}%", escape="\\")
    return sa.and_(table.c.value >= folded, table.c.value < prefix_upper_bound(folded))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _token(table: sa.Table, value: str, criterion: Criterion, _base: str) -> Condition:
    if criterion.modifier == "text":
        folded = fold(value)
        return sa.and_(table.c.text >= folded, table.c.text < prefix_upper_bound(folded))
    if "|" not in value:
        return table.c.code == value
    system, _, code = value.partition("|")
    if not system:
        return sa.and_(table.c.system.is_(None), table.c.code == code)
    if not code:
        return table.c.system == system
    return sa.and_(table.c.system == system, table.c.code == code)


def _reference(table: sa.Table, value: str, criterion: Criterion, base: str) -> Condition:
    type_modifier = criterion.modifier
    if "/" not in value:
        types = (type_modifier,) if type_modifier else criterion.param.targets
        condition = table.c.target_id == value
        return sa.and_(condition, table.c.target_type.in_(types)) if types else condition
    row = parse_reference(value, base)
    if row["target_type"] and row["url"] is None:
        return sa.and_(table.c.target_type == row["target_type"],
                       table.c.target_id == row["target_id"])
    return table.c.url == value.split("|")[0]


def _date(table: sa.Table, value: str, _criterion: Criterion, _base: str) -> Condition:
    prefix, text = split_prefix(value)
    span = date_range(text)
    if span is None:
        raise InvalidRequest(f"{value!r} is not a FHIR date", _criterion.param.code)
    return _compare_range(table, prefix, *span, approximate=_approximate_date(span))


def _approximate_date(span: tuple[int, int]) -> int:
    now = time.time_ns() // 1000
    return max(abs(now - span[0]) // 10, 86_400_000_000)


def _compare_range(table: sa.Table, prefix: str, low: float, high: float, *,
                   approximate: float) -> Condition:
    c = table.c
    conditions: dict[str, Callable[[], Condition]] = {
        "eq": lambda: sa.and_(c.low >= low, c.high <= high),
        "ne": lambda: sa.or_(c.low < low, c.high > high),
        "gt": lambda: c.high > high,
        "lt": lambda: c.low < low,
        "ge": lambda: c.high >= low,
        "le": lambda: c.low <= high,
        "sa": lambda: c.low > high,
        "eb": lambda: c.high < low,
        "ap": lambda: sa.and_(c.low <= high + approximate, c.high >= low - approximate),
    }
    return conditions[prefix]()


def _number(table: sa.Table, value: str, criterion: Criterion, _base: str) -> Condition:
    prefix, text = split_prefix(value)
    span = number_range(text)
    if span is None:
        raise InvalidRequest(f"{value!r} is not a number", criterion.param.code)
    return _compare_number(table, prefix, text, span)


def _compare_number(table: sa.Table, prefix: str, text: str,
                    span: tuple[float, float]) -> Condition:
    exact, value = float(text), table.c.low
    if prefix == "eq":
        return sa.and_(value >= span[0], value < span[1])
    if prefix == "ne":
        return sa.or_(value < span[0], value >= span[1])
    if prefix == "ap":
        margin = abs(exact) * 0.1
        return sa.and_(value >= exact - margin, value <= exact + margin)
    operators = {"gt": value > exact, "sa": value > exact, "lt": value < exact,
                 "eb": value < exact, "ge": value >= exact, "le": value <= exact}
    return operators[prefix]


def _quantity(table: sa.Table, value: str, criterion: Criterion, base: str) -> Condition:
    number, _, unit = value.partition("|")
    system, _, code = unit.partition("|")
    condition = _number(table, number, criterion, base)
    if code:
        condition = sa.and_(condition, table.c.code == code)
    if system:
        condition = sa.and_(condition, table.c.system == system)
    return condition


def _uri(table: sa.Table, value: str, criterion: Criterion, _base: str) -> Condition:
    if criterion.modifier == "below":
        return sa.and_(table.c.value >= value, table.c.value < prefix_upper_bound(value))
    if criterion.modifier == "above":
        prefixes = [value[:i] for i in range(1, len(value) + 1)]
        return table.c.value.in_(prefixes)
    return table.c.value == value


def _near(table: sa.Table, value: str, criterion: Criterion, _base: str) -> Condition:
    """``near=lat|lon|distance|unit``: a bounding box (indexed), then the distance itself."""
    lat, lon, radius_km = parse_near(value, criterion.param.code)
    dlat = radius_km / KM_PER_DEGREE_LAT
    scale = KM_PER_DEGREE_LON * max(math.cos(math.radians(lat)), 1e-6)
    dlon = radius_km / scale
    dx = (table.c.longitude - lon) * scale
    dy = (table.c.latitude - lat) * KM_PER_DEGREE_LAT
    return sa.and_(table.c.latitude.between(lat - dlat, lat + dlat),
                   table.c.longitude.between(lon - dlon, lon + dlon),
                   dx * dx + dy * dy <= radius_km * radius_km)


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
    return lat, lon, distance * UNITS_TO_KM[unit]


BUILDERS: dict[str, Callable[[sa.Table, str, Criterion, str], Condition]] = {
    "string": _string,
    "token": _token,
    "reference": _reference,
    "date": _date,
    "number": _number,
    "quantity": _quantity,
    "uri": _uri,
    "special": _near,
}
