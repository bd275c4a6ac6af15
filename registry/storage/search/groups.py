"""A search's matches grouped by their index values, counted in SQL (``count_groups``), or
read as one row of index values per match (``index_values``): the dashboard's tables and map,
and any count by country or origin, without reading a resource's JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from registry.storage.database import Connection, one_plan_for_any_value
from registry.storage.scope import Restrictions, sql_scope
from registry.storage.search.criteria import unindexed
from registry.storage.search.engine import bind_query, matching
from registry.storage.search.model import SearchQuery
from registry.storage.tables import INDEX_TABLES

# (search parameter code, index kind): what a match is grouped by or described with.
IndexKey = tuple[str, str]
Values = tuple[Any, ...]


def count_groups(conn: Connection, base_url: str, query: SearchQuery,
                 restrictions: Restrictions | None, keys: Sequence[IndexKey]
                 ) -> dict[Values, int]:
    """How many of ``query``'s matches hold each combination of values of ``keys`` (None
    where a match holds no value; a match with two values counts under each)."""
    found, bound, joined = _joined(base_url, query, restrictions, keys)
    columns = [c for key, table in zip(keys, joined, strict=True) for c in _value(key, table)]
    statement = (sa.select(*columns, sa.func.count(sa.distinct(found.c.pk)))
                 .select_from(_from(found, query.res_type, keys, joined, conn.dialect.name))
                 .group_by(*columns))
    with one_plan_for_any_value(conn, bound.shape.one_plan_fits):
        return {tuple(row[:-1]): int(row[-1]) for row in conn.execute(statement, bound.params)}


def index_values(conn: Connection, base_url: str, query: SearchQuery,
                 restrictions: Restrictions | None, keys: Sequence[IndexKey]
                 ) -> list[Values]:
    """One row per match: the least value it holds of each key (a position gives latitude
    and longitude), in pk order."""
    found, bound, joined = _joined(base_url, query, restrictions, keys)
    columns = [c for key, table in zip(keys, joined, strict=True) for c in _value(key, table)]
    # Neither grouped nor sorted in SQL: either makes SQLite walk the whole resource table in
    # pk order rather than the matches by type; a match's rows are folded here instead.
    statement = (sa.select(found.c.pk, *columns)
                 .select_from(_from(found, query.res_type, keys, joined, conn.dialect.name)))
    least: dict[int, list[Any]] = {}
    with one_plan_for_any_value(conn, bound.shape.one_plan_fits):
        for pk, *values in conn.execute(statement, bound.params):
            held = least.setdefault(pk, values)
            if held is not values:
                least[pk] = [_least(a, b) for a, b in zip(held, values, strict=True)]
    return [tuple(least[pk]) for pk in sorted(least)]


def _least(held: Any, other: Any) -> Any:
    return other if held is None else held if other is None else min(held, other)


def _joined(base_url: str, query: SearchQuery, restrictions: Restrictions | None,
            keys: Sequence[IndexKey]) -> tuple[Any, Any, list[Any]]:
    scope = None if restrictions is None else sql_scope(restrictions)
    bound = bind_query(query, base_url, scope)
    found = matching(bound).subquery("found")
    tables = [INDEX_TABLES[kind].alias(f"by{i}") for i, (_, kind) in enumerate(keys)]
    return found, bound, tables


def _from(found: Any, res_type: str, keys: Sequence[IndexKey], tables: list[Any],
          dialect: str) -> Any:
    """The matches, each joined to its index rows of every key (outer: a match without a
    value still counts, under None).

    On SQLite the type and parameter are kept out of the index choice: otherwise it probes
    the (type, parameter, value) index, reading every row of the parameter for each match,
    where the ``resource_pk`` index finds a match's few rows directly. PostgreSQL's planner
    weighs both with its statistics.
    """
    joined = found
    for (code, _), table in zip(keys, tables, strict=True):
        res_type_column, param_column = table.c.res_type, table.c.param
        if dialect == "sqlite":
            res_type_column, param_column = unindexed(res_type_column), unindexed(param_column)
        joined = joined.outerjoin(table, sa.and_(
            table.c.resource_pk == found.c.pk, res_type_column == res_type,
            param_column == code))
    return joined


def _value(key: IndexKey, table: Any) -> list[sa.ColumnElement[Any]]:
    kind = key[1]
    if kind == "position":
        return [table.c.latitude, table.c.longitude]
    if kind == "reference":
        return [sa.func.coalesce(table.c.target_type + "/" + table.c.target_id, table.c.url)]
    column = {"token": "code", "string": "exact", "uri": "value"}.get(kind, "low")
    return [table.c[column]]
