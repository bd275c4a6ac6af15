"""Person-level data never crosses: whatever a hub stores, a puller receives only published
directory entries, Measures and MeasureReports; and the global node answers by origin."""

from __future__ import annotations

from typing import Any

import httpx

from registry.services.policy import CATEGORY_OF
from tests import factories
from tests.federation.conftest import Network, base_of, published
from tests.federation.test_sync import directory
from tests.security.network import load_network

ALLOWED = {"directory", "measure", "aggregate"}
PUBLISHED = "published"


def test_only_published_directory_entries_and_outcomes_reach_a_puller(network: Network) -> None:
    loaded = load_network(network.apps["hub-pe"])
    assert any(k.startswith(("Bundle/", "QuestionnaireResponse/", "Communication/"))
               for k in loaded.bodies)  # the source holds case- and person-level data
    received: list[dict[str, Any]] = []

    def record(request: httpx.Request) -> httpx.Response | None:
        answer = network._handle_app("hub-pe", request)
        if "_history" in request.url.path and answer.status_code == 200:
            received.extend(e["resource"] for e in answer.json().get("entry", [])
                            if "resource" in e)
        return answer

    network.handlers["hub-pe"] = record
    network.add_peer("global", "hub-pe")
    report = network.sync("global", "hub-pe")
    assert report.failure is None and report.errors == 0 and received
    for resource in received:
        category = CATEGORY_OF.get(resource["resourceType"], "unclassified")
        assert category in ALLOWED, resource["resourceType"]
        if category == "directory":
            tags = {t.get("code") for t in resource.get("meta", {}).get("tag", [])}
            assert PUBLISHED in tags, f"{resource['resourceType']}/{resource['id']}"


def test_the_global_node_filters_and_counts_by_origin(network: Network) -> None:
    directory(network.fhir("hub-pe"), "PE", "PE")
    directory(network.fhir("hub-br"), "BR", "BR")
    for peer in ("hub-pe", "hub-br"):
        network.add_peer("global", peer)
        assert network.sync("global", peer).failure is None
    g = network.fhir("global")
    pe = g.search(f"Organization?_source:below={base_of('hub-pe')}&_summary=count")
    assert pe["total"] == 2
    spokes = g.search("Organization?type=spoke&address-country=BR,PE"
                      "&_revinclude=Location:organization")
    modes = sorted((e["resource"]["resourceType"], e["search"]["mode"]) for e in spokes["entry"])
    assert modes == [("Location", "include")] * 2 + [("Organization", "match")] * 2


def test_spanish_programs_on_a_topic_with_their_hubs_across_peers(network: Network) -> None:
    for peer, country in (("hub-pe", "PE"), ("hub-br", "BR")):
        made = directory(network.fhir(peer), country, country)
        hub = f"Organization/{made['hub']['id']}"
        for name, languages in ((f"ECHO SUD {country}", ("es",)),
                                (f"ECHO SUD {country} pt", ("pt",))):
            network.fhir(peer).create(published(factories.program(
                name, hub, languages=languages, country=country)))
        network.add_peer("global", peer)
        assert network.sync("global", peer).failure is None
    answer = network.fhir("global").search(
        "HealthcareService?language=es&topic=substance-use-disorders"
        "&_include=HealthcareService:organization")
    matched = sorted(e["resource"]["name"] for e in answer["entry"]
                     if e["search"]["mode"] == "match")
    included = sorted(e["resource"]["name"] for e in answer["entry"]
                      if e["search"]["mode"] == "include")
    assert (matched, included) == (["ECHO SUD BR", "ECHO SUD PE"], ["Hub BR", "Hub PE"])
