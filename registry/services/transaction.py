"""Batch and transaction Bundles.

A transaction is all or nothing: every entry is resolved and validated first (``urn:uuid``
fullUrls and conditional references replaced, conditional creates/updates matched), then all
writes go through the write pipeline in one batch — one statement per table — and only then
are the GET entries answered. The pipeline authorizes every entry before it writes any (see
``registry.services.access``), so a refused entry fails the whole transaction. A batch runs
each entry on its own savepoint, so one failing entry answers with its OperationOutcome and the
others still apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from registry.errors import (
    InvalidRequest,
    Issue,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    RegistryError,
    operation_outcome,
    status_of,
)
from registry.services.bundles import STATUS_BY_METHOD
from registry.services.fhir import FhirService
from registry.services.writes.pending import PendingWrite, check_version, ensure_id, new_id
from registry.storage.database import savepoint
from registry.storage.rows import Current, Stored
from registry.storage.values import http_date, instant

METHOD_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}


@dataclass
class Entry:
    index: int
    method: str
    res_type: str
    res_id: str | None
    params: dict[str, list[str]]
    resource: dict[str, Any] | None
    full_url: str | None
    if_match: str | None
    if_none_exist: str | None
    url: str
    result: dict[str, Any] = field(default_factory=dict)
    write: PendingWrite | None = None


def process_bundle(service: FhirService, bundle: Any) -> dict[str, Any]:
    """Run a batch or transaction Bundle; returns the response Bundle."""
    kind = _check_bundle(service, bundle)
    entries = [_parse_entry(service, i, raw) for i, raw in enumerate(bundle.get("entry", []))]
    if kind == "transaction":
        _run_transaction(service, entries)
    else:
        _run_batch(service, entries)
    return {"resourceType": "Bundle", "type": f"{kind}-response",
            "entry": [{"response": e.result.get("response", {}),
                       **({"resource": e.result["resource"]} if "resource" in e.result else {})}
                      for e in entries]}


def _check_bundle(service: FhirService, bundle: Any) -> str:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InvalidRequest("The system endpoint takes a Bundle of type batch or transaction")
    kind = bundle.get("type")
    if kind not in ("batch", "transaction"):
        raise InvalidRequest("Bundle.type must be batch or transaction", "Bundle.type")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise InvalidRequest("Bundle.entry must be a list", "Bundle.entry")
    if len(entries) > service.ctx.node.max_bundle_entries:
        raise PayloadTooLarge(f"The Bundle has {len(entries)} entries; this server accepts at "
                              f"most {service.ctx.node.max_bundle_entries}", "Bundle.entry")
    return str(kind)


def _parse_entry(service: FhirService, index: int, raw: Any) -> Entry:
    where = f"Bundle.entry[{index}]"
    request = raw.get("request") if isinstance(raw, dict) else None
    if not isinstance(request, dict) or not isinstance(request.get("url"), str):
        raise InvalidRequest(f"{where} has no request.url", f"{where}.request")
    method = str(request.get("method", "")).upper()
    if method not in METHOD_ORDER:
        raise InvalidRequest(f"{where}.request.method {method!r} is not supported",
                             f"{where}.request.method")
    res_type, res_id, params = _split_url(service.ctx.base_url, request["url"], where)
    resource = raw.get("resource")
    if method in ("POST", "PUT") and not isinstance(resource, dict):
        raise InvalidRequest(f"{where} needs a resource for {method}", f"{where}.resource")
    if resource is not None and method in ("POST", "PUT") and (
            resource.get("resourceType") != res_type):
        raise InvalidRequest(f"{where}.resource is a {resource.get('resourceType')!r}, but "
                             f"request.url names {res_type}", f"{where}.resource.resourceType")
    return Entry(index, method, res_type, res_id, params, resource, raw.get("fullUrl"),
                 request.get("ifMatch"), request.get("ifNoneExist"), request["url"])


def _split_url(base_url: str, url: str, where: str) -> tuple[str, str | None, dict[str, Any]]:
    if url.startswith(base_url + "/"):
        url = url[len(base_url) + 1:]
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        raise InvalidRequest(f"{where}.request.url must name a resource type",
                             f"{where}.request.url")
    res_id = "/".join(segments[1:]) or None
    return segments[0], res_id, parse_qs(parts.query, keep_blank_values=True)


# ---- transaction ---------------------------------------------------------------------------


def _run_transaction(service: FhirService, entries: list[Entry]) -> None:
    ordered = sorted(entries, key=lambda e: (METHOD_ORDER[e.method], e.index))
    mapping: dict[str, str] = {}
    for entry in ordered:
        with _at_entry(entry):
            _resolve_identity(service, entry, mapping)
    cache: dict[str, str] = {}
    for entry in ordered:
        with _at_entry(entry):
            _rewrite_references(service, entry, mapping, cache)
        if entry.resource is not None and entry.res_id and entry.method in ("POST", "PUT"):
            service.ctx.resources.pending[f"{entry.res_type}/{entry.res_id}"] = entry.resource
    service.access.require_all_visible(
        [(e.res_type, e.res_id, f"Bundle.entry[{e.index}]") for e in ordered
         if e.method in ("PUT", "DELETE") and e.res_id and service.ctx.node.supports(e.res_type)])
    currents = _currents(service, ordered)
    writes: list[tuple[Entry, PendingWrite]] = []
    for entry in ordered:
        with _at_entry(entry):
            planned = _plan_write(service, entry, currents)
            if planned:
                writes.append(planned)
    _refuse_duplicates(writes)
    stored = service.write([w for _, w in writes]).stored if writes else []
    for (entry, _), version in zip(writes, stored, strict=True):
        entry.result = _write_result(entry, version)
    for entry in ordered:
        if entry.method in ("GET", "HEAD"):
            entry.result = _read_result(service, entry)


@contextmanager
def _at_entry(entry: Entry) -> Iterator[None]:
    """Re-root the issues of a failing entry at ``Bundle.entry[i]``."""
    try:
        yield
    except RegistryError as exc:
        exc.issues = [_reroot(issue, entry.index) for issue in exc.issues]
        raise


def _reroot(issue: Issue, index: int) -> Issue:
    where = f"Bundle.entry[{index}]"
    expression = tuple(
        e if e.startswith("Bundle.") else f"{where}.resource" + e[e.find("."):]
        if "." in e else where for e in issue.expression) or (where,)
    return Issue(issue.severity, issue.code, issue.diagnostics, expression)


def _resolve_identity(service: FhirService, entry: Entry, mapping: dict[str, str]) -> None:
    """Give a created resource its id; map its ``urn:uuid`` fullUrl to ``Type/id``."""
    if entry.method == "POST":
        existing = _conditional(service, entry, entry.if_none_exist)
        entry.res_id = existing.res_id if existing else new_id()
        if existing:
            entry.result = {"response": {"status": "200 OK", "etag": existing.etag,
                                         "location": existing.location}}
            entry.method = "NOOP"
    elif entry.method in ("PUT", "PATCH", "DELETE") and entry.res_id is None:
        existing = service.single_match(entry.res_type, entry.params)
        entry.res_id = existing.res_id if existing else (
            (entry.resource or {}).get("id") or new_id())
        if existing is None and entry.method in ("PATCH", "DELETE"):
            entry.method = "NOOP"
            entry.result = {"response": {"status": "204 No Content"}}
    if entry.full_url and entry.res_id:
        mapping[entry.full_url] = f"{entry.res_type}/{entry.res_id}"


def _conditional(service: FhirService, entry: Entry, criteria: str | None) -> Stored | None:
    if not criteria:
        return None
    return service.conditional_match(entry.res_type, criteria)


def _rewrite_references(service: FhirService, entry: Entry, mapping: dict[str, str],
                        cache: dict[str, str]) -> None:
    if entry.resource is None or entry.resource.get("resourceType") == "Bundle":
        return  # a Bundle entry (a case presentation) resolves its urn:uuid references itself
    for holder in _references_in(entry.resource):
        ref = holder["reference"]
        if ref in mapping:
            holder["reference"] = mapping[ref]
        elif ref.startswith("urn:uuid:") or ref.startswith("urn:oid:"):
            raise InvalidRequest(f"Reference {ref} matches no fullUrl in this transaction")
        elif "?" in ref and "/" not in ref.split("?")[0]:
            holder["reference"] = cache.get(ref) or _conditional_reference(service, ref)
            cache[ref] = holder["reference"]


def _conditional_reference(service: FhirService, ref: str) -> str:
    res_type, _, query = ref.partition("?")
    found = service.conditional_match(res_type, query)
    if found is None:
        raise PreconditionFailed(f"Conditional reference {ref} matches no resource")
    return f"{res_type}/{found.res_id}"


def _references_in(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node
        for value in node.values():
            yield from _references_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references_in(item)


def _currents(service: FhirService, entries: list[Entry]) -> dict[tuple[str, str], Current]:
    """Current versions of the entries that replace or delete, one query per type.

    Created resources have fresh ids and need no look-up; asking per entry would cost a
    round-trip per entry in a 1,000-entry transaction.
    """
    wanted: dict[str, list[str]] = {}
    for entry in entries:
        if entry.method in ("PUT", "DELETE") and entry.res_id:
            wanted.setdefault(entry.res_type, []).append(entry.res_id)
    found: dict[tuple[str, str], Current] = {}
    for res_type, ids in wanted.items():
        if service.ctx.node.supports(res_type):
            found.update({(res_type, i): c for i, c in service.ctx.resources.current(res_type, ids)
                          .items()})
    return found


def _plan_write(service: FhirService, entry: Entry,
                currents: dict[tuple[str, str], Current]) -> tuple[Entry, PendingWrite] | None:
    if entry.method in ("NOOP", "GET", "HEAD"):
        return None
    res_id = ensure_id(entry.res_id or "", entry.res_type)
    where = f"Bundle.entry[{entry.index}]"
    current = currents.get((entry.res_type, res_id))
    if entry.method == "DELETE":
        if current is None or current.deleted:
            entry.result = {"response": {"status": "204 No Content"}}
            if current is None and not entry.params:
                raise NotFound(f"{entry.res_type}/{res_id} is not known")
            return None
        check_version(current, entry.if_match, entry.res_type, res_id)
        return entry, PendingWrite(entry.res_type, res_id, None, "DELETE", current, where)
    if entry.method == "PATCH":
        raise InvalidRequest("PATCH entries in a transaction must carry a Binary or Parameters "
                             "body; use the instance PATCH interaction instead")
    assert entry.resource is not None
    service.pipeline.prepare(entry.resource, entry.res_type)
    if entry.method == "PUT":
        check_version(current, entry.if_match, entry.res_type, res_id)
        if entry.resource.get("id") not in (None, res_id):
            raise InvalidRequest(f"The resource id does not match {entry.url}")
    return entry, PendingWrite(entry.res_type, res_id, entry.resource, entry.method, current,
                               where, prepared=True)


def _refuse_duplicates(writes: list[tuple[Entry, PendingWrite]]) -> None:
    seen: set[tuple[str, str]] = set()
    for entry, write in writes:
        key = (write.res_type, write.res_id)
        if key in seen:
            raise InvalidRequest(f"{key[0]}/{key[1]} appears more than once in the transaction",
                                 f"Bundle.entry[{entry.index}]")
        seen.add(key)


def _write_result(entry: Entry, stored: Stored) -> dict[str, Any]:
    status = "201 Created" if stored.created and entry.method != "DELETE" else (
        STATUS_BY_METHOD["DELETE"] if entry.method == "DELETE" else "200 OK")
    response: dict[str, Any] = {"status": status, "etag": stored.etag,
                                "lastModified": instant(stored.last_updated)}
    if entry.method != "DELETE":
        response["location"] = stored.location
    return {"response": response}


def _read_result(service: FhirService, entry: Entry) -> dict[str, Any]:
    try:
        return _answer_get(service, entry)
    except RegistryError as exc:
        return _error_result(exc)


def _answer_get(service: FhirService, entry: Entry) -> dict[str, Any]:
    if entry.res_id is None:
        page = service.search_bundle(entry.res_type, entry.params)
        return {"response": {"status": "200 OK"}, "resource": orjson.loads(page)}
    parts = entry.res_id.split("/")
    if len(parts) == 3 and parts[1] == "_history":
        stored = service.vread(entry.res_type, parts[0], parts[2])
    else:
        stored = service.read(entry.res_type, parts[0])
    return {"response": {"status": "200 OK", "etag": stored.etag,
                         "lastModified": http_date(stored.last_updated)},
            "resource": stored.resource()}


def _error_result(exc: RegistryError) -> dict[str, Any]:
    status = status_of(exc)
    return {"response": {"status": str(status), "outcome": operation_outcome(exc.issues)}}


# ---- batch ---------------------------------------------------------------------------------


def _run_batch(service: FhirService, entries: list[Entry]) -> None:
    for entry in sorted(entries, key=lambda e: (METHOD_ORDER[e.method], e.index)):
        try:
            with savepoint(service.ctx.conn):
                entry.result = _batch_entry(service, entry)
        except RegistryError as exc:
            entry.result = _error_result(exc)


def _batch_entry(service: FhirService, entry: Entry) -> dict[str, Any]:
    if entry.method in ("GET", "HEAD"):
        return _answer_get(service, entry)
    if entry.method == "POST":
        outcome = service.create(entry.resource, if_none_exist=entry.if_none_exist)
        return _write_result(entry, outcome.stored) if outcome.status == 201 else {
            "response": {"status": "200 OK", "etag": outcome.stored.etag,
                         "location": outcome.stored.location}}
    if entry.method == "PUT":
        if entry.res_id is None:
            return _write_result(entry, service.conditional_update(
                entry.res_type, entry.params, entry.resource).stored)
        return _write_result(entry, service.update(entry.res_type, entry.res_id, entry.resource,
                                                   if_match=entry.if_match).stored)
    if entry.method == "DELETE":
        if entry.res_id is None:
            service.conditional_delete(entry.res_type, entry.params)
        else:
            service.delete(entry.res_type, entry.res_id, if_match=entry.if_match)
        return {"response": {"status": "204 No Content"}}
    raise InvalidRequest(f"{entry.method} is not supported in a batch",
                         f"Bundle.entry[{entry.index}].request.method")
