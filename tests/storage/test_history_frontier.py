"""History stays exact while writers commit side by side, in any order (issue #36).

Writers take their version times in one order and commit in another (each sleeps a random
while after writing, before its commit); a reader pages ``_history`` oldest first with
``_since`` the whole time. Every version must reach the reader, and a pass may repeat only
the versions at the mark it resumed from (which a peer de-duplicates by version id).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import pytest
from flask import Flask

from registry.services.audit import AuditTrail
from registry.services.caller import Caller
from registry.services.fhir import FhirService
from registry.services.unit import unit_of_work
from registry.storage.values import instant
from tests import factories as f

WRITERS, WRITES = 6, 12
BASE = "http://registry.test/fhir"


def unit(app: Flask, *, write: bool) -> unit_of_work:  # type: ignore[valid-type]
    return unit_of_work(app.extensions["registry.database"], app.extensions["registry.node"],
                        Caller.system("frontier-test"), AuditTrail(), BASE, write=write)


def writer(app: Flask, n: int, seed: int, written: list[tuple[str, str]]) -> None:
    pace = random.Random(seed)
    for i in range(WRITES):
        with unit(app, write=True) as service:
            stored = service.create(f.hub(f"Writer {n} hub {i}", ident=f"W{n}-{i}")).stored
            time.sleep(pace.uniform(0, 0.03))  # commit late, after others that wrote later
        written.append((stored.res_id, stored.etag))


def one_pass(service: FhirService, since: str | None) -> tuple[list[tuple[str, str, int]],
                                                             str | None]:
    """Every version from ``since`` on, page by page; and the mark to resume from."""
    params = {"_sort": ["_lastUpdated"], "_count": ["5"], "_type": ["Organization"]}
    if since:
        params["_since"] = [since]
    seen: list[tuple[str, str, int]] = []
    mark = since
    while True:
        page = service.history(params)
        seen += [(v.res_id, v.etag, v.last_updated) for v in page.versions]
        if page.high_water is not None:
            mark = instant(page.high_water)
        if page.next_cursor is None:
            return seen, mark
        params["_cursor"] = [f"{page.next_cursor[0]}.{page.next_cursor[1]}"]


@pytest.mark.settings(rate_limit="")
def test_a_reader_paging_while_writers_commit_out_of_order_misses_nothing(
        committing_app: Flask) -> None:
    app = committing_app
    written: list[tuple[str, str]] = []
    threads = [threading.Thread(target=writer, args=(app, n, 36 + n, written))
               for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    collected: Counter[tuple[str, str]] = Counter()
    mark: str | None = None
    while True:
        done = not any(t.is_alive() for t in threads)
        with unit(app, write=False) as service:
            seen, new_mark = one_pass(service, mark)
        pass_counts = Counter((res_id, etag) for res_id, etag, _ in seen)
        assert max(pass_counts.values(), default=1) == 1, "a version repeated within a pass"
        repeated = [v for v in pass_counts if v in collected]
        resumed = mark and instant_value(mark)
        assert all(lu == resumed for res_id, etag, lu in seen if (res_id, etag) in repeated), \
            "a pass repeated more than the versions at its mark"
        collected.update(pass_counts)
        mark = new_mark
        if done:
            break
    for thread in threads:
        thread.join()
    assert len(written) == WRITERS * WRITES
    assert set(collected) == set(written), "a version was never seen"


def instant_value(text: str) -> int:
    from registry.storage.values import date_range

    span = date_range(text)
    assert span is not None
    return span[0]
