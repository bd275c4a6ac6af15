"""Three nodes in one process: two hubs in different countries and a global node that pulls."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from registry.services.federation import mirror, peers, trust
from registry.services.federation.keys import load_or_create
from tests import factories
from tests.conftest import Fhir, system_service
from tests.federation.conftest import Network, base_of, published


def directory(fhir: Fhir, country: str, tag: str) -> dict[str, dict[str, Any]]:
    """A hub, a published spoke with its site, a hidden spoke and a person on one node."""
    hub = fhir.create(published(factories.hub(f"Hub {tag}", country, f"HUB-{tag}")))
    spoke = fhir.create(published(factories.spoke(f"Spoke {tag}", f"Organization/{hub['id']}",
                                                  country, f"SPOKE-{tag}")))
    site = fhir.create(published(factories.site(f"Site {tag}", f"Organization/{spoke['id']}",
                                                -13.5, -71.9, country=country)))
    hidden = fhir.create(factories.spoke(f"Hidden {tag}", f"Organization/{hub['id']}", country,
                                         f"HIDDEN-{tag}"))
    person = fhir.create(factories.practitioner(f"Person{tag}"))
    return {"hub": hub, "spoke": spoke, "site": site, "hidden": hidden, "person": person}


def local(peer: str, resource: dict[str, Any]) -> str:
    return f"{resource['resourceType']}/{mirror.mirror_id(base_of(peer), resource['id'])}"


def test_the_global_node_pulls_only_what_each_hub_published(network: Network) -> None:
    pe = directory(network.fhir("hub-pe"), "PE", "PE")
    br = directory(network.fhir("hub-br"), "BR", "BR")
    network.add_peer("global", "hub-pe")
    network.add_peer("global", "hub-br")

    first = network.sync("global", "hub-pe")
    assert (first.failure, first.applied, first.errors) == (None, 3, 0)
    assert network.sync("global", "hub-br").applied == 3

    g = network.fhir("global")
    for peer, made in (("hub-pe", pe), ("hub-br", br)):
        for kind in ("hub", "spoke", "site"):
            answer = g.get(local(peer, made[kind]))
            assert answer.status_code == 200, answer.get_data(as_text=True)
            assert answer.json["meta"]["source"].startswith(base_of(peer) + "#")
        for kind in ("hidden", "person"):
            assert g.get(local(peer, made[kind])).status_code == 404
    site = g.get(local("hub-pe", pe["site"])).json
    assert site["managingOrganization"]["reference"] == local("hub-pe", pe["spoke"])
    provenance = g.search(f"Provenance?target={local('hub-pe', pe['hub'])}")
    assert provenance["entry"][0]["resource"]["entity"][0]["what"]["reference"] == (
        f"{base_of('hub-pe')}/{pe['hub']['resourceType']}/{pe['hub']['id']}/_history/1")
    assert len(g.ids("Organization?type=hub")) == 2
    shown = g.get("Endpoint/peer-hub-pe").json
    assert shown["status"] == "active" and "token" not in json.dumps(shown)
    assert any(e["url"].endswith("cursor") for e in shown["extension"])
    assert provenance["entry"][0]["resource"]["agent"][0]["who"]["extension"][0][
        "valueReference"]["reference"] == "Endpoint/peer-hub-pe"


def test_a_page_applied_twice_changes_nothing_and_changes_follow(network: Network) -> None:
    hub_fhir = network.fhir("hub-pe")
    pe = directory(hub_fhir, "PE", "PE")
    network.add_peer("global", "hub-pe")
    network.sync("global", "hub-pe")
    again = network.sync("global", "hub-pe")
    assert (again.applied, again.removed, again.errors) == (0, 0, 0)

    renamed = {**pe["hub"], "name": "Hub PE Norte"}
    assert hub_fhir.put(f"Organization/{pe['hub']['id']}", renamed).status_code == 200
    assert hub_fhir.delete(f"Location/{pe['site']['id']}").status_code in (200, 204)
    changed = network.sync("global", "hub-pe")
    assert (changed.applied, changed.removed) == (1, 1)
    g = network.fhir("global")
    assert g.get(local("hub-pe", pe["hub"])).json["name"] == "Hub PE Norte"
    assert g.get(local("hub-pe", pe["site"])).status_code == 410


def test_a_record_withdrawn_at_its_origin_leaves_the_puller(network: Network) -> None:
    hub_fhir = network.fhir("hub-pe")
    pe = directory(hub_fhir, "PE", "PE")
    network.add_peer("global", "hub-pe")
    network.sync("global", "hub-pe")
    withdrawn = {**pe["spoke"], "meta": {}}
    assert hub_fhir.put(f"Organization/{pe['spoke']['id']}", withdrawn).status_code == 200
    report = network.sync("global", "hub-pe")
    assert report.removed == 1
    assert network.fhir("global").get(local("hub-pe", pe["spoke"])).status_code == 410
    assert hub_fhir.put(f"Organization/{pe['spoke']['id']}", pe["spoke"]).status_code == 200
    assert network.sync("global", "hub-pe").applied == 1
    assert network.fhir("global").get(local("hub-pe", pe["spoke"])).status_code == 200


def test_mirrors_are_read_only_on_the_puller(network: Network) -> None:
    pe = directory(network.fhir("hub-pe"), "PE", "PE")
    network.add_peer("global", "hub-pe")
    network.sync("global", "hub-pe")
    g = network.fhir("global")
    path = local("hub-pe", pe["hub"])
    held = g.get(path).json
    for answer in (g.put(path, {**held, "name": "changed here"}), g.delete(path)):
        assert answer.status_code == 409, answer.get_data(as_text=True)
        assert base_of("hub-pe") in answer.json["issue"][0]["diagnostics"]


def test_a_bad_entry_is_recorded_and_the_rest_of_its_page_applied(network: Network) -> None:
    directory(network.fhir("hub-pe"), "PE", "PE")
    network.add_peer("global", "hub-pe")

    def spoil(request: httpx.Request) -> httpx.Response | None:
        if "_history" not in request.url.path:
            return None
        answer = network._handle_app("hub-pe", request)
        body = answer.json()
        body["entry"][0]["resource"]["name"] = 42  # not a string: refused by the structure
        body["entry"].append({"request": {"method": "GET"}})
        return httpx.Response(200, json=body)

    network.handlers["hub-pe"] = spoil
    report = network.sync("global", "hub-pe")
    assert report.failure is None
    assert (report.applied, report.errors) == (2, 2)
    with system_service(network.apps["global"], write=False) as service:
        recorded = peers.errors(service.ctx, "hub-pe")
        status = peers.statuses(service.ctx)[0]
    assert {e.stage for e in recorded} == {"import"}
    assert status.peer.cursor is not None and status.errors == 2
    failures = network.fhir("global").search("AuditEvent?outcome=8&_count=50")
    assert any("ITI-91" in json.dumps(e["resource"].get("subtype")) for e in failures["entry"])


@pytest.mark.parametrize("fault", ["down", "garbage", "not-a-bundle", "unauthorized",
                                   "throttled", "slow", "foreign-next"])
def test_a_failing_peer_is_one_line_keeps_its_cursor_and_recovers(network: Network,
                                                                  fault: str) -> None:
    pe = directory(network.fhir("hub-pe"), "PE", "PE")
    network.add_peer("global", "hub-pe")
    network.sync("global", "hub-pe")
    with system_service(network.apps["global"], write=False) as service:
        cursor = peers.find(service.ctx, "hub-pe").cursor
    renamed = {**pe["hub"], "name": "Hub PE Sur"}
    network.fhir("hub-pe").put(f"Organization/{pe['hub']['id']}", renamed)

    def broken(request: httpx.Request) -> httpx.Response | None:
        if fault == "down":
            raise httpx.ConnectError("refused", request=request)
        if fault == "slow":
            raise httpx.ReadTimeout("timed out", request=request)
        if fault == "garbage":
            return httpx.Response(200, content=b"<html>oops</html>")
        if fault == "not-a-bundle":
            return httpx.Response(200, json={"resourceType": "Patient", "id": "x"})
        if fault == "unauthorized":
            return httpx.Response(401, json={"resourceType": "OperationOutcome"})
        if fault == "throttled":
            return httpx.Response(429, headers={"Retry-After": "3600"})
        answer = network._handle_app("hub-pe", request)
        body = answer.json()
        body["link"] = [{"relation": "next", "url": "http://elsewhere.test/fhir/_history"}]
        return httpx.Response(200, json=body)

    network.handlers["hub-pe"] = broken
    report = network.sync("global", "hub-pe")
    assert report.failure is not None and "\n" not in report.failure
    with system_service(network.apps["global"], write=False) as service:
        row = peers.find(service.ctx, "hub-pe")
    assert (row.cursor, row.last_error) == (cursor, report.failure)
    shown = network.fhir("global").get("Endpoint/peer-hub-pe").json
    assert shown["status"] == "error" and shown["address"] == base_of("hub-pe")
    assert {e["url"].rsplit("-", 1)[-1]: e.get("valueString") for e in shown["extension"]}[
        "error"] == report.failure
    assert network.fhir("global").get(local("hub-pe", pe["hub"])).json["name"] == "Hub PE"

    del network.handlers["hub-pe"]
    recovered = network.sync("global", "hub-pe")
    assert (recovered.failure, recovered.applied) == (None, 1)
    assert network.fhir("global").get(local("hub-pe", pe["hub"])).json["name"] == "Hub PE Sur"


def test_smart_backend_services_between_two_nodes(network: Network) -> None:
    pe = directory(network.fhir("hub-pe"), "PE", "PE")
    key_path = network.apps["global"].extensions["registry.node"].key_path
    jwks = load_or_create(key_path).jwks()
    with system_service(network.apps["hub-pe"]) as service:
        client_id = trust.trust(service.ctx.conn, "global", jwks)
    with system_service(network.apps["global"]) as service:
        peers.add(service, "hub-pe", base_of("hub-pe"), client_id, None)
    report = network.sync("global", "hub-pe")
    assert (report.failure, report.applied) == (None, 3)
    assert network.fhir("global").get(local("hub-pe", pe["spoke"])).status_code == 200
    served = network.fhir("hub-pe").search("AuditEvent?_count=100")
    assert any("ITI-91" in json.dumps(e["resource"].get("subtype"))
               and e["resource"]["outcome"] == "0" for e in served["entry"])


def test_the_same_hub_registered_on_two_nodes_waits_for_review(network: Network) -> None:
    for node, country in (("hub-pe", "PE"), ("hub-br", "PE")):
        network.fhir(node).create(published(factories.hub("Hub Andes", country, "ANDES-1")))
    network.add_peer("global", "hub-pe")
    network.add_peer("global", "hub-br")
    assert network.sync("global", "hub-pe").queued == 0
    assert network.sync("global", "hub-br").queued == 1
    runner = network.apps["global"].test_cli_runner()
    listed = runner.invoke(args=["duplicates", "list"]).stdout.splitlines()
    assert len(listed) == 1 and base_of("hub-pe") in listed[0] and base_of("hub-br") in listed[0]
    pair = listed[0].split("\t")[0]
    assert runner.invoke(args=["duplicates", "resolve", pair, "--keep", "both"]).exit_code == 0
    assert runner.invoke(args=["duplicates", "list"]).stdout == ""
    again = runner.invoke(args=["duplicates", "resolve", pair, "--keep", "A"])
    assert again.exit_code == 1 and "already completed" in again.output
    task = network.fhir("global").get(f"Task/{pair}").json
    assert task["status"] == "completed" and task["output"][0]["valueCode"] == "keep-both"
    assert len(network.fhir("global").ids("Organization?name=Hub Andes")) == 2  # both visible


def test_removing_a_peer_deletes_its_mirrors_and_keeps_their_provenance(network: Network
                                                                         ) -> None:
    pe = directory(network.fhir("hub-pe"), "PE", "PE")
    network.add_peer("global", "hub-pe")
    network.sync("global", "hub-pe")
    g = network.fhir("global")
    removed = network.apps["global"].test_cli_runner().invoke(args=["peer", "remove", "hub-pe"])
    assert removed.exit_code == 0 and "3 mirrored records deleted" in removed.stdout
    assert g.get(local("hub-pe", pe["hub"])).status_code == 410
    assert g.get("Endpoint/peer-hub-pe").status_code == 410
    assert g.search(f"Provenance?target={local('hub-pe', pe['hub'])}")["entry"]
    network.add_peer("global", "hub-pe")
    assert network.sync("global", "hub-pe").applied == 3  # pulled anew, same ids
    assert g.get(local("hub-pe", pe["hub"])).status_code == 200
