"""A page of a peer's ``_history``: its usable entries, its unusable ones, and its marks.

The Bundle itself must be a sound history Bundle, or the whole page is ``PeerAnswerInvalid``.
Its entries are judged one by one: an entry without a usable resource or identity, or of a
type that was not asked for, becomes an ``EntryProblem`` and the rest of the page stays usable
(the importer records each problem as a sync error). Deletions, withdrawals included, are
``HistoryEntry`` values with no resource.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from adapters.fhir_peer.errors import PeerAnswerInvalid

TYPE = re.compile(r"[A-Z][A-Za-z]{0,63}")
ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
RESOURCE_URL = re.compile(r"(?:^|/)([A-Z][A-Za-z]*)/([A-Za-z0-9\-.]{1,64})"
                          r"(?:/_history/([A-Za-z0-9\-.]{1,64}))?/?$")
WEAK_ETAG = re.compile(r'^(?:W/)?"([^"]+)"$')
METHODS = {"POST": "POST", "PUT": "PUT", "PATCH": "PUT", "DELETE": "DELETE"}
Named = tuple[str, str, str | None]  # type, id, version from a URL


@dataclass(frozen=True)
class HistoryEntry:
    """One version in a peer's history: a resource, or a deletion (``resource`` None)."""

    method: str  # POST, PUT or DELETE
    res_type: str
    res_id: str
    version_id: str | None
    last_modified: str | None
    resource: dict[str, Any] | None
    full_url: str | None


@dataclass(frozen=True)
class EntryProblem:
    """An entry that cannot be used, and why; the rest of its page still can."""

    index: int
    reason: str
    full_url: str | None = None


@dataclass(frozen=True)
class HistoryPage:
    """One page of a peer's history, oldest first, and where the pull stands after it."""

    url: str
    entries: list[HistoryEntry]
    problems: list[EntryProblem]
    high_water: str | None  # Bundle.meta.lastUpdated: the peer's mark, from the peer's clock
    next_url: str | None = None

    @property
    def is_last(self) -> bool:
        return self.next_url is None

    @property
    def cursor(self) -> str | None:
        """The ``_since`` to resume from once this page is applied (None: keep the old one).

        After the last page it is the peer's high-water mark; after an earlier one, the newest
        ``lastModified`` on the page (``_since`` is inclusive, so versions of that same instant
        on the next page are read again, and a repeated version changes nothing).
        """
        if self.is_last:
            return self.high_water
        stamps = [e.last_modified for e in self.entries if e.last_modified]
        return max(stamps, key=_instant_key) if stamps else None


def history_page(url: str, body: Mapping[str, Any], types: set[str]) -> HistoryPage:
    """A page from a history Bundle; the Bundle must be sound, its entries need not be."""
    kind = body.get("resourceType")
    if kind != "Bundle":
        raise PeerAnswerInvalid(url, f"answer is a {kind or 'JSON object'}, not a Bundle")
    if body.get("type") != "history":
        raise PeerAnswerInvalid(url, f"Bundle type is {body.get('type')!r}, not history")
    raw_entries, links = body.get("entry", []), body.get("link", [])
    if not isinstance(raw_entries, list) or not isinstance(links, list):
        raise PeerAnswerInvalid(url, "Bundle entry and link must be lists")
    entries: list[HistoryEntry] = []
    problems: list[EntryProblem] = []
    for index, raw in enumerate(raw_entries):
        parsed = entry(index, raw, types)
        if isinstance(parsed, EntryProblem):
            problems.append(parsed)
        else:
            entries.append(parsed)
    return HistoryPage(url, entries, problems, _high_water(body), _next_link(url, links))


def entry(index: int, raw: Any, types: set[str]) -> HistoryEntry | EntryProblem:
    """One history entry, or why it cannot be used (``types`` empty: every type is wanted)."""
    if not isinstance(raw, dict):
        return EntryProblem(index, "entry is not a JSON object")
    full_url = _text(raw.get("fullUrl"))
    request, response = _object(raw.get("request")), _object(raw.get("response"))
    method = METHODS.get(str(request.get("method", "")).upper())
    if method is None:
        return EntryProblem(index, f"entry request.method is {request.get('method')!r}, "
                                   f"not POST, PUT or DELETE", full_url)
    named = _named(request.get("url"), full_url)
    if method == "DELETE":
        return _deletion(index, named, response, full_url, types)
    resource = raw.get("resource")
    if not isinstance(resource, dict):
        return EntryProblem(index, f"{method} entry has no resource", full_url)
    return _version(index, method, resource, named, response, full_url, types)


def _deletion(index: int, named: Named | None, response: Mapping[str, Any],
              full_url: str | None, types: set[str]) -> HistoryEntry | EntryProblem:
    if named is None:
        return EntryProblem(index, "DELETE entry names no Type/id in request.url or fullUrl",
                            full_url)
    res_type, res_id, version = named
    if types and res_type not in types:
        return EntryProblem(index, f"{res_type} was not asked for", full_url)
    return HistoryEntry("DELETE", res_type, res_id, _etag_version(response) or version,
                        _text(response.get("lastModified")), None, full_url)


def _version(index: int, method: str, resource: dict[str, Any], named: Named | None,
             response: Mapping[str, Any], full_url: str | None,
             types: set[str]) -> HistoryEntry | EntryProblem:
    res_type, res_id = resource.get("resourceType"), resource.get("id")
    if not isinstance(res_type, str) or not TYPE.fullmatch(res_type):
        return EntryProblem(index, "resource has no valid resourceType", full_url)
    if not isinstance(res_id, str) or not ID.fullmatch(res_id):
        return EntryProblem(index, f"{res_type} has no valid id", full_url)
    if types and res_type not in types:
        return EntryProblem(index, f"{res_type} was not asked for", full_url)
    if method == "PUT" and named is not None and named[:2] != (res_type, res_id):
        return EntryProblem(index, f"request.url names {named[0]}/{named[1]} but the resource "
                                   f"is {res_type}/{res_id}", full_url)
    meta = _object(resource.get("meta"))
    version = _text(meta.get("versionId")) or _etag_version(response)
    stamp = _text(response.get("lastModified")) or _text(meta.get("lastUpdated"))
    return HistoryEntry(method, res_type, res_id, version, stamp, resource, full_url)


def _high_water(body: Mapping[str, Any]) -> str | None:
    return _text(_object(body.get("meta")).get("lastUpdated"))


def _next_link(url: str, links: list[Any]) -> str | None:
    for link in links:
        if isinstance(link, dict) and link.get("relation") == "next":
            target = link.get("url")
            if not isinstance(target, str) or not target:
                raise PeerAnswerInvalid(url, "next link has no url")
            return urljoin(url, target)
    return None


def _named(*urls: Any) -> Named | None:
    for url in urls:
        if isinstance(url, str):
            match = RESOURCE_URL.search(url.split("?", 1)[0])
            if match:
                return match.group(1), match.group(2), match.group(3)
    return None


def _etag_version(response: Mapping[str, Any]) -> str | None:
    etag = response.get("etag")
    match = WEAK_ETAG.match(etag) if isinstance(etag, str) else None
    return match.group(1) if match else None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _instant_key(stamp: str) -> tuple[float, str]:
    """FHIR instants compared as moments (servers write different offsets), then as text."""
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp(), stamp
    except ValueError:
        return float("-inf"), stamp
