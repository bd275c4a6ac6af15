"""The FHIR interactions, one method each, for every caller (HTTP, CLI, jobs).

A ``FhirService`` lives for one transaction: it is given the connection and the caller and
never commits. The REST views call exactly one of its methods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import orjson
from sqlalchemy.engine import Connection

from registry.errors import InvalidRequest, Issue, PreconditionFailed, operation_outcome
from registry.services import bundles
from registry.services.access import Access
from registry.services.audit import AuditTrail
from registry.services.context import Caller, Node
from registry.services.history import HistoryPage, history, parse_history_query
from registry.services.search.engine import SearchResult, run_search
from registry.services.search.request import SearchQuery, parse_search
from registry.services.shaping import elements, summary
from registry.services.store import (
    PendingWrite,
    ResourceStore,
    Stored,
    check_version,
    ensure_id,
    new_id,
)


@dataclass(frozen=True)
class WriteOutcome:
    stored: Stored
    status: int  # 200 or 201
    notes: tuple[Issue, ...] = ()  # what the transform step changed (de-identification)


@dataclass
class FhirService:
    conn: Connection
    node: Node
    caller: Caller
    audit: AuditTrail = field(default_factory=AuditTrail)
    store: ResourceStore = field(init=False)
    access: Access = field(init=False)

    def __post_init__(self) -> None:
        # Every write goes through persist(), which asks ``access`` first: one authorization
        # point for instance writes, conditionals, batches and transactions alike.
        self.access = Access(self.conn, self.node, self.caller, self.audit)
        self.store = ResourceStore(self.conn, self.node, hooks=self.access)

    # ---- instance ----------------------------------------------------------------------

    def read(self, res_type: str, res_id: str) -> Stored:
        self.store.check_type(res_type)
        self.access.check_read(res_type, res_id, "read")
        stored = self.store.read(res_type, res_id)
        self.access.accessed("read", [stored])
        return stored

    def vread(self, res_type: str, res_id: str, version: str) -> Stored:
        self.store.check_type(res_type)
        self.access.check_read(res_type, res_id, "vread")
        stored = self.store.vread(res_type, res_id, version)
        self.access.accessed("vread", [stored])
        return stored

    def update(self, res_type: str, res_id: str, body: Any, *,
               if_match: str | None = None) -> WriteOutcome:
        ensure_id(res_id, res_type)
        self.store.check_type(res_type)
        self.access.require_kind(res_type, "update", "update", alternative="create")
        self.access.require_visible(res_type, res_id)
        stored = self.store.update(res_type, res_id, body, if_match=if_match)
        return WriteOutcome(stored, 201 if stored.created else 200, tuple(self.store.notes))

    def delete(self, res_type: str, res_id: str, *, if_match: str | None = None) -> None:
        self.store.check_type(res_type)
        self.access.require_kind(res_type, "delete", "delete")
        self.access.require_visible(res_type, res_id)
        self.store.delete(res_type, res_id, if_match=if_match)

    def patch(self, res_type: str, res_id: str, apply: Callable[[dict[str, Any]], dict[str, Any]],
              *, if_match: str | None = None) -> WriteOutcome:
        self.store.check_type(res_type)
        self.access.require_kind(res_type, "update", "patch")
        self.access.require_visible(res_type, res_id)
        current = self.store.read(res_type, res_id)
        check_version(self.store.current(res_type, [res_id]).get(res_id), if_match,
                      res_type, res_id)
        patched = apply(current.resource())
        if patched.get("resourceType") != res_type or patched.get("id") != res_id:
            raise InvalidRequest("A patch may not change resourceType or id")
        self.store.prepare(patched, res_type)
        stored = self.store.persist([PendingWrite(res_type, res_id, patched, "PATCH")])[0]
        return WriteOutcome(stored, 200)

    # ---- type ---------------------------------------------------------------------------

    def create(self, body: Any, *, res_type: str | None = None,
               if_none_exist: str | None = None) -> WriteOutcome:
        kind = res_type or (body.get("resourceType") if isinstance(body, dict) else None)
        if isinstance(kind, str) and self.node.supports(kind):
            self.access.require_kind(kind, "create", "create")
        res_type = self.store.prepare(body, res_type)
        if if_none_exist:
            existing = self.conditional_match(res_type, if_none_exist)
            if existing:
                return WriteOutcome(existing, 200)
        stored = self.store.persist([PendingWrite(res_type, new_id(), body, "POST",
                                                  fresh=True)])[0]
        return WriteOutcome(stored, 201, tuple(self.store.notes))

    def conditional_update(self, res_type: str, params: Mapping[str, list[str]], body: Any
                           ) -> WriteOutcome:
        self.store.check_type(res_type)
        self.access.require_kind(res_type, "update", "update", alternative="create")
        self.store.prepare(body, res_type)
        existing = self.single_match(res_type, params)
        if existing is None:
            res_id = body.get("id") or new_id()
            ensure_id(res_id, res_type)
            stored = self.store.persist([PendingWrite(res_type, res_id, body, "PUT")])[0]
            return WriteOutcome(stored, 201 if stored.created else 200)
        if body.get("id") not in (None, existing.res_id):
            raise InvalidRequest("The body's id differs from the resource the conditions match",
                                 f"{res_type}.id")
        body["id"] = existing.res_id
        stored = self.store.persist([PendingWrite(res_type, existing.res_id, body, "PUT")])[0]
        return WriteOutcome(stored, 200)

    def conditional_delete(self, res_type: str, params: Mapping[str, list[str]]) -> None:
        self.store.check_type(res_type)
        self.access.require_kind(res_type, "delete", "delete")
        existing = self.single_match(res_type, params)
        if existing is not None:
            self.store.delete(res_type, existing.res_id)

    def search(self, res_type: str, params: Mapping[str, list[str]], *,
               strict: bool = False) -> tuple[SearchQuery, SearchResult]:
        self.store.check_type(res_type)
        self.access.require_kind(res_type, "read", "search-type", params)
        query = parse_search(res_type, params, self.node, strict=strict)
        result = run_search(self.conn, self.node, query, scope=self.access.read_scope())
        self.access.accessed("search-type", result.matches + result.included, params, res_type)
        return query, result

    def history(self, params: Mapping[str, list[str]], *, res_type: str | None = None,
                res_id: str | None = None) -> HistoryPage:
        level = "instance" if res_id else "type" if res_type else "system"
        if res_type:
            self.store.check_type(res_type)
            if res_id:
                self.access.check_read(res_type, res_id, "history-instance")
            else:
                self.access.require_kind(res_type, "read", "history-type")
        query = parse_history_query(params, self.node, res_type=res_type, res_id=res_id)
        page = history(self.conn, query, self.access.history_restriction(query))
        self.access.accessed(f"history-{level}", page.versions, params)
        return page

    # ---- conditionals ------------------------------------------------------------------

    def conditional_match(self, res_type: str, criteria: str) -> Stored | None:
        text = criteria.split("?", 1)[1] if "?" in criteria else criteria
        return self.single_match(res_type, parse_qs(text, keep_blank_values=True))

    def single_match(self, res_type: str, params: Mapping[str, list[str]]) -> Stored | None:
        """The one resource the conditions match; 412 when they match several."""
        self.store.check_type(res_type)
        criteria = {k: v for k, v in params.items() if not k.startswith("_format")}
        if not criteria:
            raise PreconditionFailed("A conditional interaction needs search criteria")
        query = parse_search(res_type, criteria, self.node, strict=True)
        query.count, query.summary, query.includes, query.revincludes = 2, None, [], []
        result = run_search(self.conn, self.node, query, scope=self.access.read_scope())
        if len(result.matches) > 1:
            raise PreconditionFailed(f"The conditions match more than one {res_type}")
        return result.matches[0] if result.matches else None


def warning(code: str, diagnostics: str, *expression: str) -> Issue:
    return Issue("warning", code, diagnostics, tuple(expression))


def shaped(query: SearchQuery) -> bundles.Shaper:
    """How each resource of a search page is serialized (_summary, _elements)."""
    if query.elements:
        names = query.elements
        return lambda s: orjson.dumps(elements(s.resource(), names)).decode()
    if query.summary in ("true", "text", "data"):
        mode = query.summary
        return lambda s: orjson.dumps(summary(s.resource(), mode)).decode()
    return bundles.raw_content


def search_page(node: Node, res_type: str, params: Mapping[str, list[str]], query: SearchQuery,
                result: SearchResult) -> str:
    """The searchset Bundle for one page, with self/next/previous links that reproduce it."""
    kept = bundles.pairs(params, drop=("_count", "_offset", "_format"))
    page = bundles.page_url(node.base_url, res_type, [*kept, ("_count", str(query.count))])

    def link(offset: int) -> str:  # the criteria are encoded once for every link
        return f"{page}&_offset={offset}"
    links = {"self": link(query.offset)}
    if result.has_more:
        links["next"] = link(query.offset + query.count)
    if query.offset > 0:
        links["previous"] = link(max(0, query.offset - query.count))
    entries = [(s, "match") for s in result.matches] + [(s, "include") for s in result.included]
    outcome = None
    if query.ignored:
        outcome = operation_outcome([warning("not-supported", f"Unknown search parameter "
                                             f"{name!r} was ignored", name)
                                     for name in sorted(set(query.ignored))])
    return bundles.searchset(node.base_url, entries, total=result.total, links=links,
                             outcome=outcome, shape=shaped(query))


def history_page(node: Node, path: str, params: Mapping[str, list[str]],
                 page: HistoryPage) -> Iterator[bytes]:
    """The history Bundle for one page; ``next`` carries the cursor of the following page."""
    links = {"self": bundles.page_url(node.base_url, path, bundles.pairs(params))}
    if page.next_cursor is not None:
        kept = bundles.pairs(params, drop=("_cursor",))
        links["next"] = bundles.page_url(node.base_url, path,
                                         [*kept, ("_cursor", str(page.next_cursor))])
    return bundles.history(node.base_url, page.versions, links=links,
                           high_water=page.high_water)
