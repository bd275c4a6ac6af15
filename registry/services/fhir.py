"""The FHIR interactions, one method each, for every caller (HTTP, CLI, jobs).

A ``FhirService`` lives for one unit of work: it is built from its ``Context`` (connection,
node, caller, audit trail) and never commits. Reads ask the caller's ``Access`` first; writes
go through the one ``WritePipeline``, whose authorize step asks it for the whole batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import orjson

from registry.errors import (
    Conflict,
    InvalidRequest,
    Issue,
    NotFound,
    PreconditionFailed,
    operation_outcome,
)
from registry.services import bundles
from registry.services.access import Access
from registry.services.audit import SUCCESS
from registry.services.context import Context
from registry.services.history import parse_history_query
from registry.services.search.request import FORMAT_PARAMETERS, parse_search
from registry.services.shaping import elements, summary
from registry.services.writes.pending import PendingWrite, check_version, ensure_id, new_id
from registry.services.writes.pipeline import WritePipeline, WriteResult
from registry.storage.database import lock_condition
from registry.storage.history import HistoryPage, history
from registry.storage.rows import Stored
from registry.storage.search.engine import SearchResult, run_search
from registry.storage.search.groups import IndexKey, Values, count_groups, index_values
from registry.storage.search.model import SearchQuery


@dataclass(frozen=True)
class WriteOutcome:
    stored: Stored
    status: int  # 200 or 201
    notes: tuple[Issue, ...] = ()  # what the transform step changed (de-identification)


@dataclass
class FhirService:
    ctx: Context
    access: Access = field(init=False)
    pipeline: WritePipeline = field(init=False)

    def __post_init__(self) -> None:
        self.access = Access(self.ctx)
        self.pipeline = WritePipeline(self.ctx, self.access)

    # ---- instance ----------------------------------------------------------------------

    def read(self, res_type: str, res_id: str) -> Stored:
        self.ctx.resources.check_type(res_type)
        self.access.check_read(res_type, res_id, "read")
        stored = self.ctx.resources.read(res_type, res_id)
        self.access.accessed("read", [stored])
        return stored

    def vread(self, res_type: str, res_id: str, version: str) -> Stored:
        self.ctx.resources.check_type(res_type)
        self.access.check_read(res_type, res_id, "vread")
        stored = self.ctx.resources.vread(res_type, res_id, version)
        self.access.accessed("vread", [stored])
        return stored

    def update(self, res_type: str, res_id: str, body: Any, *,
               if_match: str | None = None) -> WriteOutcome:
        ensure_id(res_id, res_type)
        self.ctx.resources.check_type(res_type)
        self.access.require_kind(res_type, "update", "update", alternative="create")
        self.access.require_visible(res_type, res_id)
        if self.pipeline.prepare(body, res_type) != res_type:
            raise InvalidRequest("resourceType does not match the URL", "resourceType")
        if body.get("id") != res_id:
            raise InvalidRequest(f"The body's id {body.get('id')!r} does not match the URL id "
                                 f"{res_id!r}", f"{res_type}.id")
        current = self.ctx.resources.current(res_type, [res_id]).get(res_id)
        if current is None and not self.access.reads_every(res_type):
            # Create-on-update only for callers that see every instance of the type: for the
            # others a free id and a hidden one must answer alike (create with POST instead).
            self.access.refuse_unknown(res_type, res_id)
        check_version(current, if_match, res_type, res_id)
        result = self._run(PendingWrite(res_type, res_id, body, "PUT", current, prepared=True))
        stored = result.stored[0]
        return WriteOutcome(stored, 201 if stored.created else 200, tuple(result.notes))

    def delete(self, res_type: str, res_id: str, *, if_match: str | None = None) -> None:
        self.ctx.resources.check_type(res_type)
        self.access.require_kind(res_type, "delete", "delete")
        self.access.require_visible(res_type, res_id)
        current = self.ctx.resources.current(res_type, [res_id]).get(res_id)
        if current is None:
            raise NotFound(f"{res_type}/{res_id} is not known")
        check_version(current, if_match, res_type, res_id)
        if not current.deleted:
            self._run(PendingWrite(res_type, res_id, None, "DELETE", current))

    def patch(self, res_type: str, res_id: str, apply: Callable[[dict[str, Any]], dict[str, Any]],
              *, if_match: str | None = None) -> WriteOutcome:
        self.ctx.resources.check_type(res_type)
        self.access.require_kind(res_type, "update", "patch")
        self.access.require_visible(res_type, res_id)
        current_version = self.ctx.resources.read(res_type, res_id)
        current = self.ctx.resources.current(res_type, [res_id]).get(res_id)
        check_version(current, if_match, res_type, res_id)
        patched = apply(current_version.resource())
        if patched.get("resourceType") != res_type or patched.get("id") != res_id:
            raise InvalidRequest("A patch may not change resourceType or id")
        self.pipeline.prepare(patched, res_type)
        result = self._run(PendingWrite(res_type, res_id, patched, "PATCH", current,
                                        prepared=True))
        return WriteOutcome(result.stored[0], 200, tuple(result.notes))

    # ---- type ---------------------------------------------------------------------------

    def create(self, body: Any, *, res_type: str | None = None,
               if_none_exist: str | None = None) -> WriteOutcome:
        kind = res_type or (body.get("resourceType") if isinstance(body, dict) else None)
        if isinstance(kind, str) and self.ctx.node.supports(kind):
            self.access.require_kind(kind, "create", "create")
        res_type = self.pipeline.prepare(body, res_type)
        if if_none_exist:
            existing = self.conditional_match(res_type, if_none_exist)
            if existing:
                return WriteOutcome(existing, 200)
        result = self._run(PendingWrite(res_type, new_id(), body, "POST", fresh=True,
                                        prepared=True))
        return WriteOutcome(result.stored[0], 201, tuple(result.notes))

    def conditional_update(self, res_type: str, params: Mapping[str, list[str]], body: Any
                           ) -> WriteOutcome:
        """Update the one match; with none, create (with the body's id when it names one that
        is free: an id already taken answers 409, as FHIR says, never a silent overwrite)."""
        self.ctx.resources.check_type(res_type)
        self.access.require_kind(res_type, "update", "update", alternative="create")
        self.pipeline.prepare(body, res_type)
        lock_condition(self.ctx.conn, f"{res_type}?{sorted(params.items())}")
        existing = self.single_match(res_type, params)
        if existing is None:
            res_id = ensure_id(body.get("id") or new_id(), res_type)
            if self.ctx.resources.current(res_type, [res_id]):
                raise Conflict(f"No {res_type} matches the conditions, and the id {res_id!r} "
                               "in the body is already taken", f"{res_type}.id")
            result = self._run(PendingWrite(res_type, res_id, body, "PUT", prepared=True))
            return WriteOutcome(result.stored[0], 201)
        if body.get("id") not in (None, existing.res_id):
            raise InvalidRequest("The body's id differs from the resource the conditions match",
                                 f"{res_type}.id")
        body["id"] = existing.res_id
        result = self._run(PendingWrite(res_type, existing.res_id, body, "PUT", prepared=True))
        return WriteOutcome(result.stored[0], 200)

    def conditional_delete(self, res_type: str, params: Mapping[str, list[str]]) -> None:
        self.ctx.resources.check_type(res_type)
        self.access.require_kind(res_type, "delete", "delete")
        existing = self.single_match(res_type, params)
        if existing is not None:
            self.delete(res_type, existing.res_id)

    def search(self, res_type: str, params: Mapping[str, list[str]], *,
               strict: bool = False) -> tuple[SearchQuery, SearchResult]:
        self.ctx.resources.check_type(res_type)
        self.access.require_kind(res_type, "read", "search-type", params)
        query = parse_search(res_type, params, self.ctx.node, strict=strict)
        result = run_search(self.ctx.conn, self.ctx.base_url, query, self.access.read_scope())
        self.access.accessed("search-type", result.matches + result.included, params, res_type)
        return query, result

    def count_by(self, res_type: str, params: Mapping[str, list[str]], by: Sequence[str]
                 ) -> dict[Values, int]:
        """How many resources the search matches per combination of values of the parameters
        ``by`` (``_summary=count`` split by value), under the same policy as search."""
        query, keys = self._grouped(res_type, params, by)
        return count_groups(self.ctx.conn, self.ctx.base_url, query, self.access.read_scope(),
                            keys)

    def index_values(self, res_type: str, params: Mapping[str, list[str]], by: Sequence[str]
                     ) -> list[Values]:
        """One row per match of the search: the values it holds of the parameters ``by``."""
        query, keys = self._grouped(res_type, params, by)
        return index_values(self.ctx.conn, self.ctx.base_url, query, self.access.read_scope(),
                            keys)

    def _grouped(self, res_type: str, params: Mapping[str, list[str]], by: Sequence[str]
                 ) -> tuple[SearchQuery, list[IndexKey]]:
        self.ctx.resources.check_type(res_type)
        self.access.require_kind(res_type, "read", "search-type", params)
        query = parse_search(res_type, params, self.ctx.node, strict=True)
        keys: list[IndexKey] = []
        for code in by:
            param = self.ctx.node.search_parameters.get(res_type, code)
            if param is None:
                raise InvalidRequest(f"Unknown search parameter {code!r} for {res_type}", code)
            keys.append((code, param.index_kind))
        self.access.accessed("search-type", [], params, res_type)
        return query, keys

    def search_bundle(self, res_type: str, params: Mapping[str, list[str]], *,
                      strict: bool = False) -> str:
        """The searchset Bundle of one page of a search."""
        query, result = self.search(res_type, params, strict=strict)
        return search_page(self.ctx.base_url, res_type, params, query, result)

    def history(self, params: Mapping[str, list[str]], *, res_type: str | None = None,
                res_id: str | None = None) -> HistoryPage:
        level = "instance" if res_id else "type" if res_type else "system"
        if res_type:
            self.ctx.resources.check_type(res_type)
            if res_id:
                self.access.check_read(res_type, res_id, "history-instance")
            else:
                self.access.require_kind(res_type, "read", "history-type")
        query = parse_history_query(params, self.ctx.node, res_type=res_type, res_id=res_id)
        page = history(self.ctx.conn, query, self.access.read_scope(),
                       self.ctx.node.resource_types)
        self.access.accessed(f"history-{level}", page.versions, params)
        if self.ctx.caller.role == "peer":  # a peer pulling: audited as mCSD's ITI-91
            self.ctx.trail.federation(self.ctx.caller, f"history-{level}", SUCCESS,
                                      description=f"served {len(page.versions)} versions "
                                                  f"of history to a peer")
        return page

    def history_bundle(self, params: Mapping[str, list[str]], *, res_type: str | None = None,
                       res_id: str | None = None) -> Iterator[bytes]:
        """The history Bundle of one page, as chunks of JSON."""
        page = self.history(params, res_type=res_type, res_id=res_id)
        path = "/".join(p for p in (res_type, res_id, "_history") if p)
        return history_page(self.ctx.base_url, path, params, page)

    # ---- writes and conditionals ----------------------------------------------------------

    def write(self, writes: list[PendingWrite]) -> WriteResult:
        """Run prepared writes through the pipeline (Bundles, imports, loaders)."""
        return self.pipeline.run(writes)

    def _run(self, write: PendingWrite) -> WriteResult:
        return self.pipeline.run([write])

    def conditional_match(self, res_type: str, criteria: str) -> Stored | None:
        """The resource ``If-None-Exist`` criteria match. Writers testing the same criteria
        take turns until each ends, so two cannot both find none and both create."""
        text = criteria.split("?", 1)[1] if "?" in criteria else criteria
        params = parse_qs(text, keep_blank_values=True)
        lock_condition(self.ctx.conn, f"{res_type}?{sorted(params.items())}")
        return self.single_match(res_type, params)

    def single_match(self, res_type: str, params: Mapping[str, list[str]]) -> Stored | None:
        """The one resource the conditions match; 412 when they match several."""
        self.ctx.resources.check_type(res_type)
        criteria = {k: v for k, v in params.items() if not k.startswith("_format")}
        if not criteria:
            raise PreconditionFailed("A conditional interaction needs search criteria")
        query = parse_search(res_type, criteria, self.ctx.node, strict=True)
        query.count, query.summary, query.includes, query.revincludes = 2, None, [], []
        result = run_search(self.ctx.conn, self.ctx.base_url, query, self.access.read_scope())
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


def search_page(base_url: str, res_type: str, params: Mapping[str, list[str]],
                query: SearchQuery, result: SearchResult) -> str:
    """The searchset Bundle for one page, with self/next/previous links that reproduce it:
    they carry the parameters the search used, never the ones it ignored nor how the response
    was formatted."""
    ignored = {name for name in query.ignored}
    kept = [(k, v) for k, v in bundles.pairs(params, drop=("_count", "_offset",
                                                          *FORMAT_PARAMETERS))
            if k not in ignored]
    page = bundles.page_url(base_url, res_type, [*kept, ("_count", str(query.count))])

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
                                     for name in sorted(ignored)])
    return bundles.searchset(base_url, entries, total=result.total, links=links,
                             outcome=outcome, shape=shaped(query))


def cursor_text(cursor: tuple[int, int]) -> str:
    return f"{cursor[0]}.{cursor[1]}"


def history_page(base_url: str, path: str, params: Mapping[str, list[str]],
                 page: HistoryPage) -> Iterator[bytes]:
    """The history Bundle for one page; ``next`` carries the cursor of the following page."""
    links = {"self": bundles.page_url(base_url, path,
                                      bundles.pairs(params, drop=FORMAT_PARAMETERS))}
    if page.next_cursor is not None:
        kept = bundles.pairs(params, drop=("_cursor", *FORMAT_PARAMETERS))
        links["next"] = bundles.page_url(base_url, path,
                                         [*kept, ("_cursor", cursor_text(page.next_cursor))])
    return bundles.history(base_url, page.versions, links=links, high_water=page.high_water)
