"""Duplicate review on the global node: the pair found by identifier key, a decision that
hides the dropped copy from searches, and what happens when the kept copy goes."""

from __future__ import annotations

from typing import Any

from registry.services.federation import mirror
from tests import factories
from tests.federation.conftest import Network, base_of, published


def two_registrations(network: Network) -> dict[str, str]:
    """The same hub on both hub nodes, its identifier written differently; pulled by the
    global node. Returns the local reference of each copy by the node it came from."""
    made = {}
    for node, name, ident in (("hub-pe", "Hub Andes", "ANDES-001"),
                              ("hub-br", "Andes regional hub", "andes 001")):
        created = network.fhir(node).create(published(factories.hub(name, "PE", ident)))
        made[node] = f"Organization/{mirror.mirror_id(base_of(node), created['id'])}"
        network.add_peer("global", node)
    return made


def pair_of(network: Network) -> tuple[str, str, str]:
    """The one pair waiting: its id, and references A and B."""
    listed = network.apps["global"].test_cli_runner().invoke(args=["duplicates", "list"])
    [line] = listed.stdout.splitlines()
    pair, a, b = line.split("\t")
    return pair, a.split()[1], b.split()[1]


def hubs(network: Network) -> set[str]:
    return {f"Organization/{i}" for i in network.fhir("global").ids("Organization?type=hub")}


def resolve(network: Network, pair: str, keep: str) -> Any:
    return network.apps["global"].test_cli_runner().invoke(
        args=["duplicates", "resolve", pair, "--keep", keep])


def test_identifiers_differing_in_separators_and_case_are_queued(network: Network) -> None:
    two_registrations(network)
    assert network.sync("global", "hub-pe").queued == 0
    assert network.sync("global", "hub-br").queued == 1


def test_the_dropped_copy_is_hidden_until_the_kept_copy_is_deleted(network: Network) -> None:
    made = two_registrations(network)
    network.sync("global", "hub-pe")
    network.sync("global", "hub-br")
    pair, a, b = pair_of(network)
    assert hubs(network) == {a, b}
    assert resolve(network, pair, "A").exit_code == 0
    assert hubs(network) == {a}
    g = network.fhir("global")
    assert g.get(b).status_code == 200  # never edited nor deleted: read by id still answers
    assert len(g.ids("Organization?name=Andes")) == (a == made["hub-br"])

    kept_node = "hub-pe" if a == made["hub-pe"] else "hub-br"
    origin = network.fhir(kept_node)
    [remote_id] = origin.ids("Organization?type=hub")
    assert origin.delete(f"Organization/{remote_id}").status_code in (200, 204)
    assert network.sync("global", kept_node).removed == 1
    assert hubs(network) == {b}  # the kept copy went: the dropped one shows again


def test_a_decision_put_over_the_api_hides_too_and_keep_both_hides_nothing(
        network: Network) -> None:
    two_registrations(network)
    network.sync("global", "hub-pe")
    network.sync("global", "hub-br")
    pair, a, b = pair_of(network)
    g = network.fhir("global")
    task = g.get(f"Task/{pair}").json
    coding = {"system": "https://telementoring.example.org/fhir/CodeSystem/"
                        "duplicate-review-part", "code": "resolution"}
    decided = {**task, "status": "completed",
               "output": [{"type": {"coding": [coding]}, "valueCode": "keep-b"}]}
    assert g.put(f"Task/{pair}", decided).status_code == 200
    assert hubs(network) == {b}
    decided["output"][0]["valueCode"] = "keep-both"
    assert g.put(f"Task/{pair}", decided).status_code == 200
    assert hubs(network) == {a, b}
    assert resolve(network, pair, "A").exit_code == 1  # completed already


def test_a_review_task_keeps_its_words(network: Network) -> None:
    """The node writes a review Task from references and addresses: nothing to de-identify."""
    two_registrations(network)
    network.sync("global", "hub-pe")
    network.sync("global", "hub-br")
    pair, a, b = pair_of(network)
    task = network.fhir("global").get(f"Task/{pair}").json
    assert a in task["description"] and base_of("hub-pe") in task["description"]
