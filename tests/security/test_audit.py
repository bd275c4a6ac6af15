"""AuditEvents: one for every write, read or search of case-level data, refusal and failed
authentication — with who, what, when, from where and the outcome; searchable by
network-admin by date, agent, entity and outcome; never holding a token or a body."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from sqlalchemy import event as sa_event

from registry.services.validation import check_structure
from tests import factories as f
from tests.conftest import Fhir
from tests.security.conftest import Network
from tests.security.network import case_document


def events(network: Network, query: str = "") -> list[dict[str, Any]]:
    bundle = network.admin.search(f"AuditEvent?_count=1000&_id:not=audit-1&{query}")
    found = [e["resource"] for e in bundle.get("entry", [])
             if e["resource"]["agent"][0].get("name") != "network"]  # the network's loading
    for event in found:
        check_structure(event)  # every AuditEvent is a valid R4 resource
    return found


def entities(event: dict[str, Any]) -> list[str]:
    return [e["what"]["reference"] for e in event.get("entity", []) if "what" in e]


def test_a_write_is_audited_with_who_what_when_where_and_outcome(network: Network) -> None:
    hub = network.client("hub-admin")
    created = hub.create(f.site("New site", "Organization/spoke-1", -13.6, -72.0))
    [event] = events(network, f"entity=Location/{created['id']}")
    assert event["outcome"] == "0" and event["action"] == "C"
    assert event["subtype"][0]["code"] == "create"
    assert entities(event) == [f"Location/{created['id']}/_history/1"]
    requestor = event["agent"][0]
    assert requestor["requestor"] is True and requestor["network"]["address"] == "127.0.0.1"
    assert requestor["role"][0]["coding"][0]["code"] == "hub-admin"
    assert requestor["altId"].startswith("token-")
    assert event["agent"][1]["who"]["reference"] == "Organization/hub-1"
    assert event["recorded"].startswith("20")


def test_a_write_and_its_audit_event_share_the_transaction_clock(network: Network) -> None:
    hub = network.client("hub-admin")
    created = hub.create(f.site("Clocked site", "Organization/spoke-1", -13.6, -72.0))
    [event] = events(network, f"entity=Location/{created['id']}")
    assert event["meta"]["lastUpdated"] == created["meta"]["lastUpdated"]


def test_a_write_and_its_audit_event_are_stored_in_the_same_statements(network: Network
                                                                       ) -> None:
    """The event is part of the write's batch: one INSERT per history and index table for
    both, so a rolled-back write can never leave its event behind."""
    hub = network.client("hub-admin")
    inserts: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        inserts.extend(re.findall(r"INSERT INTO (\w+)", statement))
    engine = network.app.extensions["registry.database"].engine
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        created = hub.create(f.site("Batched site", "Organization/spoke-1", -13.6, -72.0))
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    tables = [t for t in inserts if t != "resource"]  # SQLite inserts RETURNING rows singly
    assert "resource_version" in tables and "idx_token" in tables
    assert len(tables) == len(set(tables)), tables
    assert len(events(network, f"entity=Location/{created['id']}")) == 1


def test_update_delete_and_transaction_are_audited(network: Network) -> None:
    admin = network.admin
    site = admin.get("Location/loc-1").json
    assert admin.put("Location/loc-1", {**site, "name": "Renamed"}).status_code == 200
    assert admin.delete("Location/loc-2").status_code == 204
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Location", "name": "A"},
         "request": {"method": "POST", "url": "Location"}},
        {"resource": {"resourceType": "Location", "name": "B"},
         "request": {"method": "POST", "url": "Location"}}]}
    assert admin.post("", bundle).status_code == 200
    actions = sorted((e["action"], e["subtype"][0]["code"], len(entities(e)))
                     for e in events(network, "outcome=0"))
    assert actions == [("D", "delete", 1), ("E", "transaction", 2), ("U", "update", 1)]


@pytest.mark.parametrize(("path", "interaction", "entity"), [
    ("Composition/{case}", "read", "Composition/{case}"),
    ("Composition/{case}/_history/1", "vread", "Composition/{case}"),
    ("Composition?_id={case}", "search-type", "Composition/{case}"),
    ("Encounter?_id=sess-1", None, None),
    ("Encounter?_id=sess-1&_revinclude=Communication:encounter", "search-type",
     "Communication/rec-1"),
    ("Composition/{case}/_history", "history-instance", "Composition/{case}"),
])
def test_reads_of_case_level_data_are_audited(network: Network, path: str,
                                              interaction: str | None,
                                              entity: str | None) -> None:
    case = network.id("Composition/case-1")
    response = network.client("hub-admin").get(path.format(case=case))
    assert response.status_code == 200
    found = events(network)
    if entity is None:  # no case-level data touched
        assert found == []
        return
    [event] = found
    assert event["outcome"] == "0" and event["subtype"][0]["code"] == interaction
    assert entities(event) == [f"{entity.format(case=case)}/_history/1"]


def test_a_search_event_records_the_query_and_every_case_returned(network: Network) -> None:
    network.client("hub-admin").search(
        "PractitionerRole?_id=presenter-1,presenter-2&_revinclude=Composition:author")
    [event] = events(network)
    assert event["subtype"][0]["code"] == "search-type"
    case_1 = network.key("Composition/case-1")
    assert entities(event) == [f"{case_1}/_history/1"]  # case-2 was hidden
    query = [e["query"] for e in event["entity"] if "query" in e]
    assert base64.b64decode(query[0]).decode() == (
        "_id=presenter-1%2Cpresenter-2&_revinclude=Composition%3Aauthor")


def test_directory_reads_are_not_audited(network: Network) -> None:
    client = network.client("hub-admin")
    assert client.get("Organization/hub-1").status_code == 200
    client.search("Organization")
    assert events(network) == []


def test_refusals_are_audited_after_the_rollback(network: Network) -> None:
    hub = network.client("hub-admin")
    assert hub.get(network.key("Composition/case-2")).status_code == 404
    assert hub.get("AuditEvent").status_code == 403
    other = network.admin.get("Location/loc-2").json
    assert hub.put("Location/loc-2", {**other, "name": "Taken"}).status_code == 403
    refused = events(network, "outcome=4")
    assert sorted(e["subtype"][0]["code"] for e in refused) == ["read", "search-type",
                                                                "update"]
    assert all(e["agent"][0]["role"][0]["coding"][0]["code"] == "hub-admin" for e in refused)
    assert events(network, "outcome=0") == []  # the refused update wrote nothing


def test_failed_authentication_is_audited_without_the_token(network: Network) -> None:
    stranger = Fhir(network.app.test_client(), "tnr_made-up-secret-value-1234567890")
    assert stranger.get("Organization").status_code == 401
    assert Fhir(network.app.test_client(), None).get("Organization").status_code == 401
    failed = events(network, "outcome=8")
    assert len(failed) == 2
    assert all(e["type"]["code"] == "110114" for e in failed)
    assert all(e["agent"][0]["network"]["address"] == "127.0.0.1" for e in failed)
    assert "made-up-secret" not in json.dumps(failed)


def test_audit_events_never_hold_tokens_or_bodies(network: Network) -> None:
    client = network.client("spoke-clinician")
    secret = "Confidential narrative 4f1c"
    response = client.post("Bundle", case_document("1", title=secret, fresh=True))
    assert response.status_code == 201, response.get_data(as_text=True)
    composition = response.json["entry"][0]["resource"]["id"]
    assert client.get(f"Composition/{composition}").json["title"] == secret
    [written] = [e for e in events(network) if e["action"] != "R"]  # the case and its parts
    assert sorted(ref.split("/")[0] for ref in entities(written)) == [
        "Bundle", "Composition", "Condition", "MedicationStatement", "Observation"]
    text = json.dumps(events(network))
    assert secret not in text and client.token not in text and "tnr_" not in text


def test_audit_search_by_date_agent_entity_and_outcome(network: Network) -> None:
    hub, spoke = network.client("hub-admin"), network.client("spoke-clinician")
    case_1 = network.key("Composition/case-1")
    hub.get(case_1)
    spoke.get(case_1)
    spoke.get(network.key("Composition/case-2"))
    assert len(events(network, "agent=Organization/spoke-1")) == 2
    assert len(events(network, f"entity={case_1}")) == 2
    assert len(events(network, f"entity={case_1}&agent=Organization/hub-1")) == 1
    assert len(events(network, "outcome=4")) == 1
    assert len(events(network, "date=ge2000-01-01")) == 3
    assert events(network, "date=lt2000-01-01") == []
    assert len(events(network, "address=127.0.0.1")) == 3
    newest_first = events(network, "_sort=-date")
    assert [e["recorded"] for e in newest_first] == sorted(
        (e["recorded"] for e in newest_first), reverse=True)
    token_id = events(network, "outcome=4")[0]["agent"][0]["altId"]
    assert len(events(network, f"altid={token_id}")) == 2


def test_only_network_admin_reads_the_audit_trail(network: Network) -> None:
    for role in ("hub-admin", "spoke-clinician", "national-program", "global-viewer", "peer"):
        assert network.client(role).get("AuditEvent").status_code == 403
    assert network.admin.get("AuditEvent").status_code == 200


def test_one_token_used_from_two_addresses_is_audited_with_each(network: Network) -> None:
    """The cached caller of a token carries the address of the request at hand, not the one
    that first looked the token up."""
    token = network.client("hub-admin").token
    ids = []
    for address in ("10.0.0.7", "10.0.0.8", "10.0.0.7"):
        client = network.app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        hub = Fhir(client, token)
        ids.append(hub.create(f.site(f"Site via {address}", "Organization/spoke-1",
                                     -13.6, -72.0))["id"])
    seen = [events(network, f"entity=Location/{i}")[0]["agent"][0]["network"]["address"]
            for i in ids]
    assert seen == ["10.0.0.7", "10.0.0.8", "10.0.0.7"]
