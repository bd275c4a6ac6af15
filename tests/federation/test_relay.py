"""Relayed mirrors: a global node pulls a national node that pulled a hub (here hub-br plays
the national node pulling hub-pe)."""

from __future__ import annotations

from registry.services.federation import mirror
from tests.federation.conftest import Network, base_of
from tests.federation.test_sync import directory, local


def relay(network: Network) -> None:
    network.add_peer("hub-br", "hub-pe")
    network.add_peer("global", "hub-br")
    assert network.sync("hub-br", "hub-pe").applied == 3


def test_a_relayed_record_keeps_its_origin_and_names_the_relay(network: Network) -> None:
    pe = directory(network.fhir("hub-pe"), "PE", "PE")
    relay(network)
    report = network.sync("global", "hub-br")
    assert (report.failure, report.errors, report.applied) == (None, 0, 3)
    g = network.fhir("global")
    for kind in ("hub", "spoke", "site"):
        held = g.get(local("hub-pe", pe[kind]))  # the origin's mirror id, as on hub-br
        assert held.status_code == 200, held.get_data(as_text=True)
        meta = held.json["meta"]
        assert meta["source"] == f"{base_of('hub-pe')}#1"
        assert {"system": mirror.RELAYED_BY, "code": base_of("hub-br")} in meta["tag"]
    site = g.get(local("hub-pe", pe["site"])).json
    assert site["managingOrganization"]["reference"] == local("hub-pe", pe["spoke"])
    assert len(g.ids(f"Organization?_source:below={base_of('hub-pe')}")) == 2
    assert g.put(local("hub-pe", pe["hub"]), {**g.get(local("hub-pe", pe["hub"])).json,
                                               "name": "x"}).status_code == 409


def test_the_same_record_from_its_origin_and_through_a_relay_is_one(network: Network) -> None:
    directory(network.fhir("hub-pe"), "PE", "PE")
    relay(network)
    network.sync("global", "hub-br")
    network.add_peer("global", "hub-pe")
    direct = network.sync("global", "hub-pe")
    assert (direct.failure, direct.errors, direct.queued) == (None, 0, 0)
    g = network.fhir("global")
    assert len(g.ids("Organization")) == 2 and len(g.ids("Location")) == 1
    assert network.sync("global", "hub-br").applied == 0


def test_a_deletion_at_the_origin_travels_through_the_relay(network: Network) -> None:
    pe = directory(network.fhir("hub-pe"), "PE", "PE")
    relay(network)
    network.sync("global", "hub-br")
    assert network.fhir("hub-pe").delete(f"Location/{pe['site']['id']}").status_code in (
        200, 204)
    assert network.sync("hub-br", "hub-pe").removed == 1
    assert network.sync("global", "hub-br").removed == 1
    assert network.fhir("global").get(local("hub-pe", pe["site"])).status_code == 410


def test_removing_the_relay_removes_what_it_relayed(network: Network) -> None:
    pe = directory(network.fhir("hub-pe"), "PE", "PE")
    relay(network)
    network.sync("global", "hub-br")
    runner = network.apps["global"].test_cli_runner()
    listed = runner.invoke(args=["peer", "list"]).stdout
    assert "holds Location 1, Organization 2" in listed
    removed = runner.invoke(args=["peer", "remove", "hub-br"])
    assert removed.exit_code == 0 and "3 mirrored records deleted" in removed.stdout
    assert network.fhir("global").get(local("hub-pe", pe["hub"])).status_code == 410
