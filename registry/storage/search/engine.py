"""Run a ``SearchQuery``: one page of matches, the total when asked, and includes.

A duplicate dropped on review (``registry.storage.federation.not_dropped``) is never a match.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import sqlalchemy as sa

from registry.storage.database import Connection, chunks, one_of, one_plan_for_any_value
from registry.storage.federation import not_dropped
from registry.storage.resources import pks_of, read_many
from registry.storage.rows import Stored
from registry.storage.scope import Restrictions, SqlScope, sql_scope
from registry.storage.search.criteria import (
    CriterionShape,
    bind,
    criterion_condition,
    index_pks,
    one_plan_fits,
    unindexed,
)
from registry.storage.search.model import Include, SearchQuery
from registry.storage.tables import INDEX_TABLES, idx_reference, resource

ESTIMATE_CAP = 10_000
MAX_INCLUDED = 5_000
r = resource.c
# Built once: constructing them per search is measurable; see ``criteria.unindexed``.
RES_TYPE_UNINDEXED = unindexed(r.res_type)
REF_TYPE_UNINDEXED = unindexed(idx_reference.c.res_type)
REF_PARAM_UNINDEXED = unindexed(idx_reference.c.param)
MATCH_ROWS = sa.select(r.pk, r.res_id, r.version, r.last_updated, r.content)
COUNT_ROWS = sa.select(sa.func.count()).select_from(resource)

# SQL restricting rows of a type to what the caller may see (``registry.storage.scope``),
# applied to matches, totals, chains and includes alike, so nothing hidden is counted.
Scope = SqlScope
# (code, descending, index kind or None for _id and _lastUpdated)
SortKey = tuple[str, bool, str | None]
PAGE_OFFSET = sa.bindparam("page_offset", type_=sa.Integer)
PAGE_LIMIT = sa.bindparam("page_limit", type_=sa.Integer)  # one more than shown: has_more
PAGE_COUNT = sa.bindparam("page_count", type_=sa.Integer)  # the matches the page shows
MATCH, INCLUDE = 0, 1  # the parts of a page read with its includes (``_with_includes``)
SHARED_STATEMENTS = 512  # distinct search shapes kept built (a few KB each)
# Builds one of a search's statements (page, count, index page) from its shape and scope.
StatementKind = Callable[["QueryShape", Scope | None], "sa.Select[Any] | None"]


@dataclass
class SearchResult:
    matches: list[Stored]
    included: list[Stored] = field(default_factory=list)
    total: int | None = None
    has_more: bool = False


@dataclass(frozen=True)
class QueryShape:
    """What decides a search's SQL, and none of its values: equal shapes, equal statements."""

    res_type: str
    criteria: tuple[CriterionShape, ...]
    sort: tuple[SortKey, ...]
    includes: tuple[Include, ...] = ()  # read with the page where it is cut from the index

    @property
    def one_plan_fits(self) -> bool:
        """Whether one query plan serves every value of the criteria (see ``one_plan_fits``)."""
        return all(one_plan_fits(c) for c in self.criteria)


@dataclass(frozen=True)
class BoundQuery:
    """A search's shape, the values bound into its statements, and the caller's scope."""

    shape: QueryShape
    params: dict[str, Any]
    scope: Scope | None  # None when the caller may see everything the search can touch

    @property
    def shared(self) -> bool:
        """Its statements are the same for every such caller: built once per shape, compiled
        once, sent straight to the driver. A scope is SQL particular to its caller."""
        return self.scope is None


def run_search(conn: Connection, base_url: str, query: SearchQuery,
               restrictions: Restrictions | None = None) -> SearchResult:
    """One page of ``query``'s matches with its includes and total, showing only what
    ``restrictions`` (the caller's, from the policy) reach; None: everything."""
    scope = None if restrictions is None else sql_scope(restrictions)
    bound = bind_query(query, base_url, scope)
    with one_plan_for_any_value(conn, bound.shape.one_plan_fits):
        return _run(conn, query, bound, scope)


def _run(conn: Connection, query: SearchQuery, bound: BoundQuery,
         scope: Scope | None) -> SearchResult:
    if query.summary == "count":
        return SearchResult([], total=_count(conn, bound))
    rows, followed = _page_rows(conn, bound)
    has_more = len(rows) > query.count
    page = rows[:query.count]
    matches = [Stored(query.res_type, res_id, version, last_updated, False, content)
               for _, res_id, version, last_updated, content in page]
    result = SearchResult(matches, has_more=has_more)
    result.total = _total(conn, query, bound, result)
    result.included = _included(conn, query, matches, [row[0] for row in page], scope,
                                followed)
    return result


def _page_rows(conn: Connection, bound: BoundQuery
               ) -> tuple[Sequence[tuple[Any, ...]], list[Stored] | None]:
    """The page's rows (pk, res_id, version, last_updated, content), one more than shown, and
    the targets of its ``_include``s when they were read with it."""
    indexed = None
    if conn.dialect.name == "postgresql":
        indexed = _statement(_index_page_statement, bound)
    if indexed is None:
        statement = _statement(_page_statement, bound)
        assert statement is not None
        return _rows(conn, statement, bound), None
    rows = _rows(conn, indexed, bound)
    return _split(rows) if bound.shape.includes else (rows, None)


def _rows(conn: Connection, statement: sa.Select[Any], bound: BoundQuery
          ) -> Sequence[tuple[Any, ...]]:
    """A search's rows, as tuples of column values."""
    return conn.execute(statement, bound.params).all()


def _split(rows: Sequence[tuple[Any, ...]]) -> tuple[list[tuple[Any, ...]], list[Stored]]:
    """A page read with its includes (see ``_with_includes``): the page's rows, in the shape
    of a plain page's, and the resources its includes point at."""
    page = [(pk, res_id, version, last_updated, content)
            for part, pk, _, res_id, version, last_updated, content in rows if part == MATCH]
    followed = [Stored(res_type, res_id, version, last_updated, False, content)
                for part, _, res_type, res_id, version, last_updated, content in rows
                if part == INCLUDE]
    return page, followed


def bind_query(query: SearchQuery, base_url: str, scope: Scope | None) -> BoundQuery:
    """Parse the criteria's values (400 for a malformed one) and bind them to the shape."""
    bound = [bind(c, base_url) for c in query.criteria]
    params: dict[str, Any] = {"page_offset": query.offset, "page_limit": query.count + 1,
                              "page_count": query.count}
    for i, criterion in enumerate(bound):
        params.update(criterion.params(_criterion_name(i)))
    sort = tuple(query.sort)
    shape = QueryShape(query.res_type, tuple(c.shape for c in bound), sort,
                       tuple(query.includes))
    return BoundQuery(shape, params, _restricting(scope, _touched_types(query)))


def _criterion_name(position: int) -> str:
    return f"c{position}"


def _touched_types(query: SearchQuery) -> set[str]:
    """The types whose rows the search reads: its own, chain targets, ``_has`` sources."""
    types = {query.res_type}
    for criterion in query.criteria:
        if criterion.chain:
            types.update(criterion.chain.target_types)
        if criterion.reverse:
            types.add(criterion.reverse.source_type)
    return types


def _restricting(scope: Scope | None, types: set[str]) -> Scope | None:
    """``scope``, or None when it restricts none of ``types``: the statements are then the
    same for every such caller and can be shared."""
    if scope is None or all(scope(t, r.pk) is None for t in types):
        return None
    return scope


def _statement(kind: StatementKind, bound: BoundQuery) -> sa.Select[Any] | None:
    """The statement of ``kind`` for the search: shared per shape unless the caller's scope
    restricts it (a restriction is SQL of its own, particular to the caller)."""
    if not bound.shared:
        return kind(bound.shape, bound.scope)
    return _shared(kind, bound.shape)


@lru_cache(maxsize=SHARED_STATEMENTS)
def _shared(kind: StatementKind, shape: QueryShape) -> sa.Select[Any] | None:
    return kind(shape, None)


def _page_statement(shape: QueryShape, scope: Scope | None) -> sa.Select[Any]:
    return (MATCH_ROWS.where(*_where(shape, scope)).order_by(*_order(shape))
            .offset(PAGE_OFFSET).limit(PAGE_LIMIT))


def matching(bound: BoundQuery) -> sa.Select[tuple[int]]:
    """The pks of every match, for statements that aggregate them (``groups``)."""
    return sa.select(r.pk).where(*_where(bound.shape, bound.scope))


def _count_statement(shape: QueryShape, scope: Scope | None) -> sa.Select[Any]:
    return COUNT_ROWS.where(*_where(shape, scope))


def _index_page_statement(shape: QueryShape, scope: Scope | None) -> sa.Select[Any] | None:
    """The page read through pks taken from the index tables alone (see ``_index_page``),
    with its ``_include`` targets when it has any."""
    page = _index_page(shape, scope)
    if page is None:
        return None
    if shape.includes:
        return _with_includes(page, shape.includes)
    # Joined from the page, not ``pk IN (page)``: PostgreSQL then reads the resources in the
    # page's order, where the semi-join de-duplicated the pks in a hash and sorted the page's
    # rows again afterwards.
    pks = page.subquery("page")
    return (MATCH_ROWS.select_from(pks.join(resource, r.pk == pks.c[0]))
            .order_by(pks.c[0]))


def _index_page(shape: QueryShape, scope: Scope | None) -> sa.Select[tuple[int]] | None:
    """The pks of the page cut from the index tables alone, when that gives the same page.

    With only positive criteria, no ``_sort`` and nothing hidden from the caller, the pks the
    index rows match are exactly the matching resources (see ``criteria.index_pks``): the
    page is then cut from those pks, sorted in the index, and only its resources are read.
    Otherwise every match is read from ``resource`` to be filtered before the page is cut,
    which costs one row read per match (thousands for a common family name in a large
    store). PostgreSQL only: SQLite already walks the pk list in order and stops at the page,
    and the extra step only slowed its searches.
    """
    if not shape.criteria or shape.sort:
        return None
    if scope is not None and scope(shape.res_type, r.pk) is not None:
        return None
    selects = [index_pks(c, _criterion_name(i), scope) for i, c in enumerate(shape.criteria)]
    found = [select for select in selects if select is not None]
    if len(found) < len(selects):
        return None
    combined: sa.Select[tuple[int]] | sa.CompoundSelect[tuple[int]] = (
        found[0].distinct() if len(found) == 1 else sa.intersect(*found))
    pk = combined.subquery().c[0]
    return (sa.select(pk).where(not_dropped(pk)).order_by(pk)
            .offset(PAGE_OFFSET).limit(PAGE_LIMIT))


def _with_includes(page: sa.Select[tuple[int]], includes: tuple[Include, ...]
                   ) -> sa.Select[Any]:
    """The page's rows (part ``MATCH``, in pk order) and the current targets of its
    ``_include``s (part ``INCLUDE``) in one statement, as the SQL floor reads them.

    Only the ``page_count`` matches shown are followed, not the extra row that tells whether
    there is a next page. Separately the targets would cost a second round trip. Each target
    comes once per include that reaches it;
    ``_follow``'s admission sorts, de-duplicates and checks them as it does its own.
    """
    pks = page.cte("page")
    shown = sa.select(pks.c[0]).order_by(pks.c[0]).limit(PAGE_COUNT)
    columns = (r.pk, r.res_type, r.res_id, r.version, r.last_updated, r.content)
    matches = (sa.select(sa.literal(MATCH).label("part"), *columns)
               .where(r.pk.in_(sa.select(pks.c[0]))))
    targets = [sa.select(sa.literal(INCLUDE), *columns)
               .where(sa.tuple_(r.res_type, r.res_id).in_(_include_keys(include, shown)),
                      r.deleted.is_(False))
               for include in includes]
    union = sa.union_all(matches, *targets).subquery()
    return sa.select(union).order_by(union.c.part, union.c.pk)


def _where(shape: QueryShape, scope: Scope | None) -> list[sa.ColumnElement[bool]]:
    restriction = scope(shape.res_type, r.pk) if scope else None
    return [_type_condition(shape), r.deleted.is_(False), not_dropped(r.pk),
            *([] if restriction is None else [restriction]),
            *(criterion_condition(c, _criterion_name(i), scope)
              for i, c in enumerate(shape.criteria))]


def _type_condition(shape: QueryShape) -> sa.ColumnElement[bool]:
    """``res_type = T``, kept out of the planner's index choice when a criterion selects.

    A positive criterion already yields a short list of pks from an index table; letting the
    planner instead walk every resource of the type by the ``res_type`` index and probe the
    list (which SQLite does) turns an O(log n) look-up into a scan of the type.
    """
    selective = any(c.criterion.modifier not in ("not", "missing") for c in shape.criteria)
    if not selective:
        return r.res_type == shape.res_type
    return RES_TYPE_UNINDEXED == shape.res_type  # noqa: SIM300 - column first: SQL, not bool


def _order(shape: QueryShape) -> list[sa.ColumnElement[object]]:
    keys: list[sa.ColumnElement[object]] = []
    for code, descending, kind in shape.sort:
        expression = _sort_expression(code, descending, kind)
        keys.append(expression.desc() if descending else expression.asc())
    keys.append(r.pk.asc())
    return keys


def _sort_expression(code: str, descending: bool, kind: str | None) -> sa.ColumnElement[object]:
    if code == "_id":
        return r.res_id
    if code == "_lastUpdated":
        return r.last_updated
    assert kind is not None
    table = INDEX_TABLES[kind]
    column = {"string": "value", "token": "code", "reference": "target_id", "uri": "value",
              "position": "latitude"}.get(kind, "low")
    pick = sa.func.max if descending else sa.func.min
    return (sa.select(pick(table.c[column]))
            .where(table.c.resource_pk == r.pk, table.c.param == code)
            .scalar_subquery())


def _count(conn: Connection, bound: BoundQuery) -> int:
    statement = _statement(_count_statement, bound)
    assert statement is not None
    ((count,),) = _rows(conn, statement, bound)
    return int(count)


def _total(conn: Connection, query: SearchQuery, bound: BoundQuery,
           result: SearchResult) -> int | None:
    """Accurate on request; otherwise only what is free or cheap to know."""
    if query.total == "accurate":
        return _count(conn, bound)
    if not result.has_more and (query.offset == 0 or result.matches):
        return query.offset + len(result.matches)
    if query.total == "estimate":  # never less than what the pages already show
        shown = query.offset + len(result.matches) + (1 if result.has_more else 0)
        return max(_estimate(conn, bound), shown)
    return None


def _estimate(conn: Connection, bound: BoundQuery) -> int:
    matching = sa.select(r.pk).where(*_where(bound.shape, bound.scope))
    if conn.dialect.name == "postgresql":
        compiled = matching.params(bound.params).compile(
            conn, compile_kwargs={"literal_binds": True})
        plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}").scalar_one()
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return int(plan[0]["Plan"]["Plan Rows"])
    capped = matching.limit(ESTIMATE_CAP).subquery()
    return int(conn.execute(sa.select(sa.func.count()).select_from(capped),
                            bound.params).scalar_one())


def _included(conn: Connection, query: SearchQuery, matches: list[Stored], pks: list[int],
              scope: Scope | None = None, followed: list[Stored] | None = None
              ) -> list[Stored]:
    """The page's ``_include`` and ``_revinclude`` resources; ``followed`` are the targets of
    its ``_include``s when they were read with the page."""
    if not (query.includes or query.revincludes) or not matches:
        return []
    store = _ScopedReader(conn, scope)
    seen = {(s.res_type, s.res_id) for s in matches}
    if followed is None:
        found = _follow(conn, store, query.includes, pks, seen)
    else:
        found = _admit_followed(store, followed, seen)
    found += _reverse(conn, store, query.revincludes, matches, seen)
    iterating = [i for i in query.includes if i.iterate]
    if iterating and found:
        found += _follow(conn, store, iterating,
                         pks_of(conn, [(s.res_type, s.res_id) for s in found]), seen)
    return found[:MAX_INCLUDED]


def _follow(conn: Connection, store: _ScopedReader, includes: Iterable[Include], pks: list[int],
            seen: set[tuple[str, str]]) -> list[Stored]:
    """The current resources the page's references point at: one statement per ``_include``,
    from the page's pks through ``idx_reference`` to the targets' key index."""
    followed: list[Stored] = []
    for include in includes:
        statement = _follow_statement(bool(include.param_code), bool(include.target_type),
                                      conn.dialect.name)
        rows = conn.execute(statement, {"pks": pks, "source_type": include.source_type,
                                        "param": include.param_code,
                                        "target_type": include.target_type}).all()
        followed += [Stored(res_type, res_id, version, last_updated, False, content)
                     for res_type, res_id, version, last_updated, content in rows]
    return _admit_followed(store, followed, seen)


def _admit_followed(store: _ScopedReader, followed: list[Stored], seen: set[tuple[str, str]]
                    ) -> list[Stored]:
    """Of the resources includes reached, each once, those not on the page already and that
    the caller may see."""
    found = {(s.res_type, s.res_id): s for s in followed if (s.res_type, s.res_id) not in seen}
    return _admit(store.admit(list(found.values())), seen)


@cache
def _follow_statement(by_param: bool, by_target_type: bool, dialect: str) -> sa.Select[Any]:
    """Targets of the references from ``:pks``, built once per shape of ``_include``."""
    keys = _reference_keys(one_of(idx_reference.c.resource_pk, "pks", dialect),
                           sa.bindparam("source_type"),
                           sa.bindparam("param") if by_param else None,
                           sa.bindparam("target_type") if by_target_type else None, dialect)
    return (sa.select(r.res_type, r.res_id, r.version, r.last_updated, r.content)
            .where(sa.tuple_(r.res_type, r.res_id).in_(keys), r.deleted.is_(False)))


def _include_keys(include: Include, sources: sa.Select[tuple[int]]) -> sa.Select[Any]:
    """The (type, id) an ``_include`` reaches from the pks ``sources`` (PostgreSQL)."""
    def value(text: str | None) -> sa.ColumnElement[str] | None:
        return None if text is None else sa.literal(text)
    return _reference_keys(idx_reference.c.resource_pk.in_(sources),
                           sa.literal(include.source_type), value(include.param_code),
                           value(include.target_type), "postgresql")


def _reference_keys(sources: sa.ColumnElement[bool], source_type: sa.ColumnElement[str],
                    param: sa.ColumnElement[str] | None,
                    target_type: sa.ColumnElement[str] | None, dialect: str
                    ) -> sa.Select[Any]:
    """(target type, target id) of the references of ``sources``, for ``IN`` on the
    resource key.

    ``target_id`` is "C"-collated on PostgreSQL (prefix ranges) and ``res_id`` is not: the
    keys are compared in ``res_id``'s collation, or the resource key index could not serve
    the look-up and every resource of the type would be scanned.
    """
    ref = idx_reference.c
    target_id = ref.target_id.collate("default") if dialect == "postgresql" else ref.target_id
    keys = sa.select(ref.target_type, target_id).where(
        sources, source_type == REF_TYPE_UNINDEXED, ref.target_type.is_not(None))
    if param is not None:
        keys = keys.where(param == REF_PARAM_UNINDEXED)
    if target_type is not None:
        keys = keys.where(ref.target_type == target_type)
    return keys


def _reverse(conn: Connection, store: _ScopedReader, includes: Iterable[Include],
             matches: list[Stored], seen: set[tuple[str, str]]) -> list[Stored]:
    ref = idx_reference.c
    targets = [(s.res_type, s.res_id) for s in matches]
    found: list[Stored] = []
    for include in includes:
        stmt = (sa.select(resource.c.res_type, resource.c.res_id)
                .join(idx_reference, ref.resource_pk == resource.c.pk)
                .where(ref.res_type == include.source_type,
                       sa.tuple_(ref.target_type, ref.target_id).in_(targets))
                .limit(MAX_INCLUDED))
        if include.param_code:
            stmt = stmt.where(ref.param == include.param_code)
        keys = {(row.res_type, row.res_id) for row in conn.execute(stmt)}
        found += _admit(store.read_many(k for k in keys if k not in seen), seen)
    return found


def _admit(candidates: list[Stored], seen: set[tuple[str, str]]) -> list[Stored]:
    admitted = []
    for stored in sorted(candidates, key=lambda s: (s.res_type, s.res_id)):
        key = (stored.res_type, stored.res_id)
        if key not in seen:
            seen.add(key)
            admitted.append(stored)
    return admitted


@dataclass
class _ScopedReader:
    """``read_many`` that returns only what ``scope`` lets through (one query per type)."""

    conn: Connection
    scope: Scope | None

    def read_many(self, keys: Iterable[tuple[str, str]]) -> list[Stored]:
        return self.admit(read_many(self.conn, keys))

    def admit(self, found: list[Stored]) -> list[Stored]:
        """Those of ``found`` that the scope lets through."""
        if self.scope is None or not found:
            return found
        allowed: set[tuple[str, str]] = set()
        for res_type in {s.res_type for s in found}:
            restriction = self.scope(res_type, r.pk)
            ids = [s.res_id for s in found if s.res_type == res_type]
            if restriction is None:
                allowed.update((res_type, i) for i in ids)
                continue
            for chunk in chunks(ids):
                rows = self.conn.execute(sa.select(r.res_id).where(
                    r.res_type == res_type, r.res_id.in_(chunk), restriction))
                allowed.update((res_type, row.res_id) for row in rows)
        return [s for s in found if (s.res_type, s.res_id) in allowed]
