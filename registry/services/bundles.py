"""Build searchset and history Bundles from stored versions.

Resource JSON is spliced in as stored text rather than parsed and re-serialized: a page of 1,000
resources is then one string join, which is what keeps history sync and search pages fast.
A history page (3 MB for 1,000 resources) is produced in chunks as it is sent, so a worker
does not hold the page's entries, their join and its encoding at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

import orjson

from registry.storage.rows import Stored
from registry.storage.values import http_date, instant

Shaper = Callable[[Stored], str | None]
CHUNK_CHARS = 64 << 10  # of a streamed Bundle: one socket write each
STATUS_BY_METHOD = {"POST": "201 Created", "PUT": "200 OK", "PATCH": "200 OK",
                    "DELETE": "204 No Content"}


def raw_content(stored: Stored) -> str | None:
    return stored.content


def pairs(params: Mapping[str, list[str]], drop: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Request parameters as (name, value) pairs, in order, leaving out ``drop``."""
    dropped = frozenset(drop)
    return [(k, v) for k, values in params.items() if k not in dropped for v in values]


def page_url(base_url: str, path: str, params: Iterable[tuple[str, str]]) -> str:
    query = urlencode(list(params))
    return f"{base_url}/{path}" + (f"?{query}" if query else "")


def searchset(base_url: str, entries: list[tuple[Stored, str]], *, total: int | None,
              links: dict[str, str], outcome: dict[str, Any] | None = None,
              shape: Shaper = raw_content, stamp: int | None = None) -> str:
    """A searchset Bundle; ``entries`` pairs a version with its mode (match or include)."""
    head = _head("searchset", stamp, total, links)
    parts = [_search_entry(base_url, stored, mode, shape) for stored, mode in entries]
    if outcome is not None:
        parts.append(_json({"search": {"mode": "outcome"}, "resource": outcome}))
    return "".join(_pieces(head, iter(parts)))


def _head(kind: str, stamp: int | None, total: int | None,
          links: dict[str, str]) -> dict[str, Any]:
    head: dict[str, Any] = {"resourceType": "Bundle", "type": kind}
    if stamp is not None:
        head["meta"] = {"lastUpdated": instant(stamp)}
    if total is not None:
        head["total"] = total
    head["link"] = [{"relation": rel, "url": url} for rel, url in links.items()]
    return head


def _search_entry(base_url: str, stored: Stored, mode: str, shape: Shaper) -> str:
    full_url = _json(f"{base_url}/{stored.res_type}/{stored.res_id}")
    content = shape(stored)
    return f'{{"fullUrl":{full_url},"resource":{content},"search":{{"mode":"{mode}"}}}}'


def history(base_url: str, versions: list[Stored], *, links: dict[str, str],
            high_water: int | None, total: int | None = None) -> Iterator[bytes]:
    """A history Bundle, in chunks of about ``CHUNK_CHARS``: deletions as DELETE entries
    without a resource.

    Built lazily: the entries are made as the chunks are taken, after the view has returned,
    so nothing here may need the request or a database connection.
    """
    head = _head("history", high_water, total, links)
    return (piece.encode() for piece in _pieces(head, (_history_entry(base_url, v)
                                                          for v in versions)))


def _history_entry(base_url: str, stored: Stored) -> str:
    path = f"{stored.res_type}/{stored.res_id}"
    entry: dict[str, Any] = {"fullUrl": f"{base_url}/{path}"}
    method = "PUT" if stored.method == "PATCH" else stored.method
    url = stored.res_type if method == "POST" else path
    entry["request"] = {"method": method, "url": url}
    entry["response"] = {"status": STATUS_BY_METHOD.get(stored.method, "200 OK"),
                         "etag": stored.etag, "lastModified": instant(stored.last_updated)}
    if stored.content is None:
        return _json(entry)
    body = _json(entry)
    return body[:-1] + f',"resource":{stored.content}}}'


def _pieces(head: dict[str, Any], entries: Iterator[str]) -> Iterator[str]:
    """The JSON of ``head`` with ``entries`` as its ``entry`` list (none: no ``entry``), in
    pieces of about ``CHUNK_CHARS``."""
    text = _json(head)
    first = next(entries, None)
    if first is None:
        yield text
        return
    pending = [text[:-1], ',"entry":[', first]
    size = sum(map(len, pending))
    for entry in entries:
        if size >= CHUNK_CHARS:
            yield "".join(pending)
            pending, size = [], 0
        pending += (",", entry)
        size += len(entry) + 1
    pending.append("]}")
    yield "".join(pending)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def last_modified(stored: Stored) -> str:
    return http_date(stored.last_updated)
