"""History at every level: ordering, deletions, _since/_at/_count, cursor paging."""

from __future__ import annotations

import json

from registry.services import bundles
from registry.storage.rows import Stored
from tests.conftest import Fhir

HUB = {"resourceType": "Organization", "name": "Hub"}


def pages(fhir: Fhir, url: str) -> list[dict]:
    """Follow next links to the end; returns the bundles."""
    found = []
    while url:
        bundle = fhir.search(url)
        found.append(bundle)
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        url = links.get("next", "").replace("http://registry.test/fhir/", "")
    return found


def entries(bundles: list[dict]) -> list[tuple[str, str, str]]:
    return [(e["fullUrl"].rsplit("/", 1)[1], e["request"]["method"],
             e["response"]["etag"]) for b in bundles for e in b.get("entry", [])]


def test_instance_history_newest_first_with_deletion(fhir: Fhir) -> None:
    oid = fhir.create(HUB)["id"]
    fhir.put(f"Organization/{oid}", {**HUB, "id": oid, "name": "v2"})
    fhir.delete(f"Organization/{oid}")
    bundle = fhir.search(f"Organization/{oid}/_history")
    assert bundle["type"] == "history"
    methods = [(e["request"]["method"], e["response"]["etag"]) for e in bundle["entry"]]
    assert methods == [("DELETE", 'W/"3"'), ("PUT", 'W/"2"'), ("POST", 'W/"1"')]
    assert "resource" not in bundle["entry"][0]
    assert bundle["entry"][1]["resource"]["name"] == "v2"


def test_type_and_system_history(fhir: Fhir) -> None:
    fhir.create(HUB)
    fhir.create({"resourceType": "Location", "name": "Site"})
    assert len(fhir.search("Organization/_history")["entry"]) == 1
    assert len(fhir.search("_history")["entry"]) == 2
    assert len(fhir.search("_history?_type=Location")["entry"]) == 1


def test_since_and_high_water_mark(fhir: Fhir) -> None:
    fhir.create(HUB)
    first = fhir.search("_history")
    mark = first["meta"]["lastUpdated"]
    since = fhir.search(f"_history?_since={mark}").get("entry", [])
    assert all(e["response"]["lastModified"] >= mark for e in since)
    second = fhir.create(HUB)
    after = fhir.search(f"_history?_since={mark}&_sort=_lastUpdated")
    assert [e["fullUrl"].rsplit("/", 1)[1] for e in after["entry"]][-1] == second["id"]
    assert after["meta"]["lastUpdated"] > mark


def test_at_returns_versions_current_at_that_instant(fhir: Fhir) -> None:
    oid = fhir.create(HUB)["id"]
    v1_time = fhir.get(f"Organization/{oid}").json["meta"]["lastUpdated"]
    fhir.put(f"Organization/{oid}", {**HUB, "id": oid, "name": "later"})
    at_v1 = fhir.search(f"Organization/{oid}/_history?_at={v1_time}")
    assert [e["response"]["etag"] for e in at_v1["entry"]] == ['W/"1"']


def test_count_and_cursor_paging_both_directions(fhir: Fhir) -> None:
    for _ in range(7):
        fhir.create(HUB)
    newest_first = entries(pages(fhir, "_history?_count=3"))
    oldest_first = entries(pages(fhir, "_history?_count=3&_sort=_lastUpdated"))
    assert len(newest_first) == 7 and len(set(newest_first)) == 7
    assert oldest_first == newest_first[::-1]


def test_writes_during_paging_neither_skip_nor_repeat(fhir: Fhir) -> None:
    for _ in range(6):
        fhir.create(HUB)
    bundle = fhir.search("_history?_count=2&_sort=_lastUpdated")
    seen = entries([bundle])
    url = {link["relation"]: link["url"] for link in bundle["link"]}["next"]
    extra = fhir.create(HUB)["id"]  # written while the client pages
    rest = pages(fhir, url.replace("http://registry.test/fhir/", ""))
    seen += entries(rest)
    ids = [i for i, _, _ in seen]
    assert len(ids) == len(set(ids)) == 7 and ids[-1] == extra


def test_history_bad_parameters_are_400(fhir: Fhir) -> None:
    assert fhir.get("_history?_since=yesterday").status_code == 400
    assert fhir.get("_history?_count=x").status_code == 400
    assert fhir.get("_history?_type=Nope").status_code == 400
    assert fhir.get("_history?_sort=name").status_code == 400


def test_a_large_history_page_is_streamed_in_chunks_that_join_into_the_bundle() -> None:
    versions = [Stored("Organization", f"o{i}", 1, 1_700_000_000_000_000 + i, False,
                       json.dumps({"resourceType": "Organization", "id": f"o{i}",
                                   "name": "x" * 500}), "PUT", True)
                for i in range(400)]
    versions.append(Stored("Organization", "gone", 2, 1_700_000_000_000_999, True, None,
                           "DELETE", False))
    chunks = list(bundles.history("http://registry.test/fhir", versions,
                                  links={"self": "http://registry.test/fhir/_history"},
                                  high_water=None))
    assert len(chunks) > 2  # 400 entries of ~0.7 kB: several 64 k-character chunks
    assert all(len(c) < bundles.CHUNK_CHARS + 2_000 for c in chunks)
    bundle = json.loads(b"".join(chunks))
    assert bundle["type"] == "history"
    assert [e["fullUrl"].rsplit("/", 1)[1] for e in bundle["entry"]] == [
        *(f"o{i}" for i in range(400)), "gone"]
    assert bundle["entry"][7]["resource"]["name"] == "x" * 500
    assert "resource" not in bundle["entry"][-1]
    empty = b"".join(bundles.history("http://registry.test/fhir", [], links={},
                                     high_water=None))
    assert json.loads(empty) == {"resourceType": "Bundle", "type": "history", "link": []}


def test_history_pages_are_streamed_over_http(fhir: Fhir) -> None:
    for i in range(3):
        fhir.create({**HUB, "name": f"Hub {i}"})
    response = fhir.get("_history?_count=2")
    assert response.status_code == 200
    assert response.is_streamed and response.content_length is None
    assert len(response.get_json()["entry"]) == 2
