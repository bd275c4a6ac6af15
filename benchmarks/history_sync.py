"""The ``_history`` workload: what a federating peer does, paging through everything.

It is sequential on purpose (a peer applies page after page, following ``next`` links), so it
is driven here rather than by the thread pool. The first pages are recorded for the HTTP floor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
from tqdm import tqdm

from benchmarks.client import Call, Connection, Measurement

RECORDED_PAGES = 20


@dataclass
class SyncResult:
    measurement: Measurement
    recorded: list[Call] = field(default_factory=list)  # first pages, for the floor replay
    complete: bool = False


def sync_everything(host: str, port: int, headers: dict[str, str], *, since: str, page: int,
                    expected: int, seconds: float, record: dict[str, bytes],
                    progress: bool = True) -> SyncResult:
    """Follow ``_history?_since=...&_sort=_lastUpdated`` until no ``next`` link is left."""
    query = urlencode({"_since": since, "_sort": "_lastUpdated", "_count": page})
    target: str | None = f"/fhir/_history?{query}"
    result = SyncResult(Measurement())
    deadline = time.perf_counter() + seconds
    conn = Connection(host, port, headers)
    bar = tqdm(total=expected, desc="history sync", unit="res", disable=not progress,
               dynamic_ncols=True, leave=False)
    started = time.perf_counter()
    try:
        while target is not None and time.perf_counter() < deadline:
            status, body, elapsed = conn.fetch(Call("GET", target))
            result.measurement.statuses[status] += 1
            if status != 200:
                result.measurement.errors += 1
                break
            bundle = orjson.loads(body)
            entries = len(bundle.get("entry", []))
            result.measurement.latencies.append(elapsed)
            result.measurement.items += entries
            if len(result.recorded) < RECORDED_PAGES:
                result.recorded.append(Call("GET", target, items=entries))
                record[target] = body
            bar.update(entries)
            target = _next_target(bundle)
        result.complete = target is None
    finally:
        bar.close()
        conn.close()
    result.measurement.seconds = time.perf_counter() - started
    return result


def _next_target(bundle: dict[str, Any]) -> str | None:
    for link in bundle.get("link", []):
        if link.get("relation") == "next":
            parts = urlsplit(link["url"])
            return f"{parts.path}?{parts.query}" if parts.query else parts.path
    return None
