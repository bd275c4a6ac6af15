"""A case presented through the API lands in the presenting spoke's compartment (spoke -> hub
-> country), with every part the transform step extracted from it: its hub and spoke see it,
nobody else but network-admin does, however they ask."""

from __future__ import annotations

from typing import Any

from tests.conftest import Fhir
from tests.security.conftest import Network
from tests.security.network import CASE_PARTS, case_document, ref


def present(network: Network, side: str = "1") -> list[str]:
    """POST a new case as spoke-1's clinician; ``Type/id`` of the Bundle and its parts."""
    response = network.client("spoke-clinician").post(
        "Bundle", case_document(side, title="Fresh case", fresh=True))
    assert response.status_code == 201, response.get_data(as_text=True)
    bundle = response.json
    parts = [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]
             if e["resource"]["resourceType"] in CASE_PARTS]
    assert sorted(p.split("/")[0] for p in parts) == sorted(CASE_PARTS)
    return [f"Bundle/{bundle['id']}", *parts]


def history_keys(client: Fhir, path: str) -> set[str]:
    return {e["fullUrl"].split("/fhir/", 1)[1] for e in client.search(path).get("entry", [])}


def visible(client: Fhir, key: str) -> bool:
    """Read, search, count, type and system history agree on whether ``key`` is visible."""
    res_type, res_id = key.split("/")
    read = client.get(key).status_code
    assert read in (200, 404), read
    found = client.ids(f"{res_type}?_id={res_id}") == [res_id]
    counted = client.search(f"{res_type}?_id={res_id}&_summary=count")["total"] == 1
    in_history = key in history_keys(client, f"{res_type}/_history?_count=1000")
    in_system = key in history_keys(client, f"_history?_type={res_type}&_count=1000")
    instance = client.get(f"{key}/_history").status_code
    assert {read == 200, found, counted, in_history, in_system, instance == 200} == {
        read == 200}, key
    return read == 200


def test_a_presented_case_is_seen_by_its_hub_and_spoke_only(network: Network) -> None:
    keys = present(network)
    own = [network.client("spoke-clinician"), network.client("hub-admin"), network.admin]
    others = [network.client_as("hub-admin", "Organization/hub-2"),
              network.client_as("spoke-clinician", "Organization/spoke-2")]
    for key in keys:
        assert all(visible(client, key) for client in own), key
        assert not any(visible(client, key) for client in others), key
        for role in ("national-program", "global-viewer", "peer"):
            assert network.client(role).get(key).status_code == 403


def test_a_spoke_clinician_presents_only_for_its_own_spoke(network: Network) -> None:
    spoke = network.client("spoke-clinician")
    before = network.admin.search("Composition?_summary=count")["total"]
    response = spoke.post("Bundle", case_document("2", fresh=True))
    assert response.status_code == 403
    assert network.admin.search("Composition?_summary=count")["total"] == before


def recommendation(composition: str) -> dict[str, Any]:
    return {"resourceType": "Communication", "status": "completed",
            "about": [ref(composition)], "encounter": ref("Encounter/sess-1"),
            "sender": ref("PractitionerRole/role-1"),
            "recipient": [ref("PractitionerRole/presenter-1")],
            "payload": [{"contentString": "Add acamprosate."}]}


def test_the_hubs_recommendation_reaches_the_presenting_spoke(network: Network) -> None:
    composition = next(k for k in present(network) if k.startswith("Composition/"))
    hub = network.client("hub-admin")
    created = hub.create(recommendation(composition))
    key = f"Communication/{created['id']}"
    spoke = network.client("spoke-clinician")
    assert visible(spoke, key)
    assert spoke.ids(f"Communication?about={composition}") == [created["id"]]
    assert not visible(network.client_as("hub-admin", "Organization/hub-2"), key)
    assert not visible(network.client_as("spoke-clinician", "Organization/spoke-2"), key)
    other_hub = network.client_as("hub-admin", "Organization/hub-2")
    hidden = other_hub.post("Communication", recommendation(composition))
    missing = other_hub.post("Communication", recommendation("Composition/no-such-case"))
    assert hidden.status_code == missing.status_code == 422  # no existence oracle
    assert hidden.json["issue"][0]["diagnostics"].replace(composition, "X") == (
        missing.json["issue"][0]["diagnostics"].replace("Composition/no-such-case", "X"))


def test_a_case_in_a_transaction_goes_through_the_same_pipeline(network: Network) -> None:
    spoke = network.client("spoke-clinician")
    document = case_document("1", fresh=True)
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": document, "request": {"method": "POST", "url": "Bundle"}}]}
    response = spoke.post("", bundle)
    assert response.status_code == 200, response.get_data(as_text=True)
    stored = spoke.get(response.json["entry"][0]["response"]["location"].split("/_history")[0])
    patient = stored.json["entry"][1]["resource"]
    assert "birthDate" not in patient  # de-identified: an age band instead
    composition = stored.json["entry"][0]["resource"]["id"]
    assert network.client("hub-admin").get(f"Composition/{composition}").status_code == 200
    change = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": stored.json, "request": {"method": "PUT",
                                              "url": f"Bundle/{stored.json['id']}"}}]}
    assert network.admin.post("", change).status_code == 422
