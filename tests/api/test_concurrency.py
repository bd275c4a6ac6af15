"""Concurrent writers: one If-Match winner, and history without gaps or repeats.

These use real commits from several threads, each with its own connection, on both databases.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
from flask import Flask

from tests.conftest import Fhir, make_token

HUB = {"resourceType": "Organization", "name": "Hub"}

# Many requests from one token in a few seconds: lift the per-token rate limit here.
pytestmark = pytest.mark.settings(rate_limit="100000 per minute")


@pytest.fixture
def app(committing_app: Flask) -> Flask:
    """Real commits from several connections: not the rolled-back test transaction."""
    return committing_app


@pytest.fixture
def fhir(app: Flask) -> Fhir:
    return Fhir(app.test_client(), make_token(app))


def test_concurrent_if_match_updates_have_exactly_one_winner(app: Flask, fhir: Fhir) -> None:
    oid = fhir.create(HUB)["id"]
    barrier = threading.Barrier(4)

    def update(n: int) -> int:
        client = Fhir(app.test_client(), fhir.token)
        barrier.wait()
        return client.put(f"Organization/{oid}", {**HUB, "id": oid, "name": f"writer {n}"},
                          headers={"If-Match": 'W/"1"'}).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(update, range(4)))
    assert statuses == [200, 412, 412, 412]
    assert fhir.get(f"Organization/{oid}").json["meta"]["versionId"] == "2"


def traverse(reader: Fhir, since: str | None) -> tuple[list[tuple[str, str]], str | None]:
    """Page through history oldest first from ``since``; returns entries and the new mark."""
    url = "_history?_count=7&_sort=_lastUpdated" + (f"&_since={quote(since)}" if since else "")
    found: list[tuple[str, str]] = []
    mark = since
    while url:
        bundle = reader.search(url)
        found += [(e["fullUrl"].rsplit("/", 1)[1], e["response"]["etag"])
                  for e in bundle.get("entry", [])]
        mark = bundle.get("meta", {}).get("lastUpdated", mark)
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        url = links.get("next", "").replace("http://registry.test/fhir/", "")
    return found, mark


def test_history_is_gap_free_under_concurrent_writes(app: Flask, fhir: Fhir) -> None:
    """A peer syncing while four writers commit sees every version, none twice per pass."""
    writers, per_writer = 4, 15

    def write(n: int) -> list[str]:
        client = Fhir(app.test_client(), fhir.token)
        return [client.create({**HUB, "name": f"w{n}-{i}"})["id"] for i in range(per_writer)]

    reader = Fhir(app.test_client(), fhir.token)
    collected: set[tuple[str, str]] = set()
    mark: str | None = None
    with ThreadPoolExecutor(writers) as pool:
        futures = [pool.submit(write, n) for n in range(writers)]
        while True:
            finished = all(f.done() for f in futures)
            found, mark = traverse(reader, mark)
            assert len(found) == len(set(found)), "a version was repeated within one pass"
            collected |= set(found)
            if finished:
                break
        created = {i for f in futures for i in f.result()}
    assert {i for i, _ in collected} == created, "a version was skipped"
    assert len(collected) == writers * per_writer


def test_concurrent_creates_of_one_new_id_give_one_version_each_and_no_error(
        app: Flask, fhir: Fhir) -> None:
    """Four clients PUT the same new id at once: one creates it, the others update it in turn
    or are told to retry (409); never a server error, never a lost version."""
    barrier = threading.Barrier(4)

    def put(n: int) -> int:
        client = Fhir(app.test_client(), fhir.token)
        barrier.wait()
        return client.put("Organization/same-new-id",
                          {**HUB, "id": "same-new-id", "name": f"writer {n}"}).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(put, range(4)))
    assert statuses.count(201) == 1 and set(statuses) <= {200, 201, 409}
    current = fhir.get("Organization/same-new-id").json
    written = statuses.count(200) + statuses.count(201)
    assert current["meta"]["versionId"] == str(written)
