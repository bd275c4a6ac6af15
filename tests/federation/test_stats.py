"""``$stats`` on a global node that pulled two hubs: counts per origin and country in one
request, mirrors under the node they came from."""

from __future__ import annotations

from typing import Any

from tests import factories
from tests.federation.conftest import Network, base_of, published
from tests.federation.test_sync import directory


def _groups(answer: dict[str, Any]) -> dict[str, int]:
    return {parts["value"].get("valueUri", parts["value"].get("valueString")):
            parts["count"]["valueInteger"]
            for parts in ({p["name"]: p for p in g["part"]} for g in answer["parameter"][1:])}


def test_pulled_records_count_under_their_origin(network: Network) -> None:
    directory(network.fhir("hub-pe"), "PE", "PE")
    directory(network.fhir("hub-br"), "BR", "BR")
    g = network.fhir("global")
    g.create(published(factories.hub("Hub global", "CH", "HUB-CH")))
    for peer in ("hub-pe", "hub-br"):
        network.add_peer("global", peer)
        assert network.sync("global", peer).failure is None

    by_origin = _groups(g.get("$stats?type=Organization&by=origin").json)
    # each hub's published hub and spoke; the global node's own hub under its own base
    assert by_origin == {base_of("hub-pe"): 2, base_of("hub-br"): 2, base_of("global"): 1}
    hubs = _groups(g.get("$stats?type=Organization&type=hub&by=country").json)
    assert hubs == {"BR": 1, "CH": 1, "PE": 1}
    sites = _groups(g.get("$stats?type=Location&by=origin").json)
    assert sites == {base_of("hub-pe"): 1, base_of("hub-br"): 1}
    for origin, count in by_origin.items():
        if origin != base_of("global"):
            assert g.search(f"Organization?_source:below={origin}&_summary=count")[
                "total"] == count
