"""Hidden resources never show: not through includes, chains, _has, history, counts,
conditionals or bundle entries; and a refusal tells 403 (kind) from 404 (instance)."""

from __future__ import annotations

from typing import Any

from registry.storage.search import engine as search_engine
from tests import factories as f
from tests.conftest import Fhir
from tests.security.conftest import Network
from tests.security.network import PUBLISHED, ref, with_id


def keys(bundle: dict[str, Any], mode: str | None = None) -> set[str]:
    return {f"{e['resource']['resourceType']}/{e['resource']['id']}"
            for e in bundle.get("entry", []) if "resource" in e
            and (mode is None or e.get("search", {}).get("mode") == mode)}


def published_site_of_spoke_2(network: Network) -> None:
    """A published Location whose managing spoke is not published (hub-2 chose so)."""
    site = with_id("loc-3", f.site("Site 3", "Organization/spoke-2", -22.9, -43.2, country="BR"))
    response = network.admin.put("Location/loc-3", {**site, "meta": PUBLISHED})
    assert response.status_code == 201, response.get_data(as_text=True)


def test_include_never_brings_hidden_targets(network: Network) -> None:
    published_site_of_spoke_2(network)
    viewer = network.client("global-viewer")
    bundle = viewer.search("Location?_include=Location:organization")
    assert keys(bundle, "match") == {"Location/loc-1", "Location/loc-3"}
    assert keys(bundle, "include") == {"Organization/spoke-1"}
    iterated = viewer.search("Location?_include=Location:organization"
                             "&_include=Organization:partof:iterate")
    assert keys(iterated, "include") == {"Organization/spoke-1", "Organization/hub-1"}
    # with criteria the index tables answer alone, for the node's administrator the page
    # and its includes are read together (PostgreSQL); the viewer's are filtered all the same
    by_spoke = ("Location?organization=Organization/spoke-1,Organization/spoke-2"
                "&_include=Location:organization")
    assert keys(viewer.search(by_spoke), "include") == {"Organization/spoke-1"}
    assert keys(network.admin.search(by_spoke), "include") == {"Organization/spoke-1",
                                                               "Organization/spoke-2"}


def test_revinclude_never_brings_hidden_sources(network: Network) -> None:
    hub = network.client("hub-admin")
    query = "PractitionerRole?_id=presenter-1,presenter-2&_revinclude=Composition:author"
    bundle = hub.search(query)
    assert keys(bundle, "match") == {"PractitionerRole/presenter-1",
                                     "PractitionerRole/presenter-2"}
    assert keys(bundle, "include") == {network.key("Composition/case-1")}
    admin = network.admin.search(query)
    assert keys(admin, "include") == {network.key("Composition/case-1"),
                                      network.key("Composition/case-2")}


def test_chain_does_not_go_through_hidden_targets(network: Network) -> None:
    published_site_of_spoke_2(network)
    viewer = network.client("global-viewer")
    assert viewer.ids("Location?organization.name=Spoke 2") == []
    assert viewer.ids("Location?organization.name=Spoke 1") == ["loc-1"]
    assert sorted(network.admin.ids("Location?organization.name=Spoke 2")) == ["loc-2", "loc-3"]


def test_statements_shared_per_search_shape_never_carry_a_callers_scope(network: Network
                                                                       ) -> None:
    """Searches of one shape share a statement only among callers the scope leaves
    unrestricted; a restricted caller's statement is its own, asked before or after."""
    published_site_of_spoke_2(network)
    viewer = network.client("global-viewer")
    shared = search_engine._shared
    shared.cache_clear()
    assert sorted(network.admin.ids("Location?organization.name=Spoke 2")) == ["loc-2", "loc-3"]
    assert shared.cache_info().currsize == 1
    assert viewer.ids("Location?organization.name=Spoke 2") == []
    assert viewer.ids("Location?organization.name=Spoke 1") == ["loc-1"]
    assert shared.cache_info().currsize == 1 and shared.cache_info().hits == 0
    assert network.admin.ids("Location?organization.name=Spoke 1") == ["loc-1"]
    assert shared.cache_info().hits == 1


def test_reverse_chain_does_not_count_hidden_sources(network: Network) -> None:
    hub = network.client("hub-admin")
    assert hub.ids("PractitionerRole?_has:Composition:author:title=Case 2") == []
    assert hub.ids("PractitionerRole?_has:Composition:author:title=Case 1") == ["presenter-1"]
    viewer = network.client("global-viewer")
    assert viewer.ids("Organization?_has:PractitionerRole:organization:_id=role-1") == []
    assert network.admin.ids(
        "Organization?_has:PractitionerRole:organization:_id=role-1") == ["hub-1"]


def test_summary_count_and_total_count_only_what_is_visible(network: Network) -> None:
    hub = network.client("hub-admin")
    assert hub.search("Composition?_summary=count")["total"] == 1
    assert hub.search("Composition?_total=accurate&_count=0")["total"] == 1
    assert network.admin.search("Composition?_summary=count")["total"] == 2
    viewer = network.client("global-viewer")
    assert viewer.search("Organization?_summary=count")["total"] == 2  # hub-1, spoke-1
    national = network.client("national-program")
    assert national.search("MeasureReport?_summary=count")["total"] == 1


def test_paging_is_not_padded_by_hidden_resources(network: Network) -> None:
    viewer = network.client("global-viewer")
    page = viewer.search("Organization?_count=1&_sort=_id")
    assert keys(page) == {"Organization/hub-1"}
    following = next(link["url"] for link in page["link"] if link["relation"] == "next")
    second = viewer.search(following.split("/fhir/", 1)[1])
    assert keys(second) == {"Organization/spoke-1"}
    assert not any(link["relation"] == "next" for link in second["link"])


def history_keys(client: Fhir, path: str) -> set[str]:
    bundle = client.search(path)
    return {e["fullUrl"].split("/fhir/", 1)[1] for e in bundle.get("entry", [])}


def test_history_shows_only_visible_versions(network: Network) -> None:
    hub = network.client("hub-admin")
    case_1, case_2 = network.key("Composition/case-1"), network.key("Composition/case-2")
    system = history_keys(hub, "_history?_count=1000")
    assert case_1 in system and "Encounter/sess-1" in system
    hidden = {case_2, network.key("Condition/cond-2"), "Bundle/doc-2", "Encounter/sess-2",
              "Communication/rec-2", "AuditEvent/audit-1", "Questionnaire/quest-2",
              "Provenance/prov-2"}
    assert not system & hidden
    assert history_keys(hub, "Composition/_history") == {case_1}
    assert history_keys(hub, "_history?_type=Composition,AuditEvent") == {case_1}
    assert hub.get(f"{case_2}/_history").status_code == 404
    assert hub.get("AuditEvent/_history").status_code == 403
    peer = network.client("peer")
    assert history_keys(peer, "_history?_count=1000") == {
        "Organization/hub-1", "Organization/spoke-1", "Location/loc-1",
        "HealthcareService/prog-1", "Measure/measure", "MeasureReport/report-1",
        "MeasureReport/report-2"}


def test_system_history_leaves_out_the_audit_trail_unless_asked(network: Network
                                                                ) -> None:
    admin = network.admin
    assert not any(k.startswith("AuditEvent/") for k in history_keys(admin, "_history"))
    assert "AuditEvent/audit-1" in history_keys(admin, "_history?_type=AuditEvent")


def test_refusals_tell_a_refused_kind_from_a_hidden_instance(network: Network) -> None:
    hub = network.client("hub-admin")
    kind = hub.get("AuditEvent/audit-1")
    assert kind.status_code == 403 and kind.json["issue"][0]["code"] == "forbidden"
    case_2 = network.key("Composition/case-2")
    hidden, missing = hub.get(case_2), hub.get("Composition/nothing")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json["issue"][0]["diagnostics"] == f"{case_2} is not known"
    assert hub.get(f"{case_2}/_history/1").status_code == 404
    assert hub.get(f"Composition?_id={network.id('Composition/case-2')}").status_code == 200
    assert hub.get("AuditEvent").status_code == 403


def test_deleted_hidden_resource_reads_as_unknown_not_gone(network: Network) -> None:
    case_1, case_2 = network.key("Composition/case-1"), network.key("Composition/case-2")
    assert network.admin.delete(case_2).status_code == 204
    assert network.client("hub-admin").get(case_2).status_code == 404
    assert network.client("hub-admin").get(case_1).status_code == 200


def test_preconditions_do_not_reveal_hidden_versions(network: Network) -> None:
    spoke = network.client("spoke-clinician")
    case_2 = network.key("Composition/case-2")
    body = network.admin.get(case_2).json
    response = spoke.put(case_2, body, headers={"If-Match": 'W/"99"'})
    assert response.status_code == 404
    response = spoke.put("Bundle/doc-2", network.admin.get("Bundle/doc-2").json,
                         headers={"If-Match": 'W/"99"'})
    assert response.status_code == 404


def test_conditional_create_does_not_match_hidden_resources(network: Network) -> None:
    spoke = network.client("spoke-clinician")
    body = {"resourceType": "QuestionnaireResponse", "status": "completed",
            "author": ref("Organization/spoke-1")}
    response = spoke.post("QuestionnaireResponse", body,
                          headers={"If-None-Exist": "_id=resp-2"})
    assert response.status_code == 201 and response.json["id"] != "resp-2"


def test_transaction_is_checked_entry_by_entry_before_anything_is_written(
        network: Network) -> None:
    hub = network.client("hub-admin")
    own = network.admin.get("Location/loc-1").json
    other = network.admin.get("Location/loc-2").json
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {**own, "name": "Renamed"}, "request": {"method": "PUT",
                                                             "url": "Location/loc-1"}},
        {"resource": {**other, "name": "Taken"}, "request": {"method": "PUT",
                                                             "url": "Location/loc-2"}}]}
    response = hub.post("", bundle)
    assert response.status_code == 403
    assert response.json["issue"][0]["expression"] == ["Bundle.entry[1]"]
    assert network.admin.get("Location/loc-1").json["name"] == "Site 1"
    assert network.admin.get("Location/loc-2").json["name"] == "Site 2"


def test_batch_refuses_entries_one_by_one(network: Network) -> None:
    hub = network.client("hub-admin")
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "GET", "url": network.key("Composition/case-2")}},
        {"request": {"method": "GET", "url": network.key("Composition/case-1")}},
        {"request": {"method": "DELETE", "url": "Location/loc-2"}}]}
    response = hub.post("", bundle)
    assert response.status_code == 200
    statuses = [e["response"]["status"] for e in response.json["entry"]]
    assert statuses == ["404", "200 OK", "403"]
    assert network.admin.get("Location/loc-2").status_code == 200


def test_a_write_cannot_move_a_resource_out_of_or_into_a_compartment(network: Network) -> None:
    hub = network.client("hub-admin")
    site = network.admin.get("Location/loc-1").json
    moved = {**site, "managingOrganization": ref("Organization/spoke-2")}
    assert hub.put("Location/loc-1", moved).status_code == 403
    spoke2 = network.admin.get("Organization/spoke-2").json
    taken = {**spoke2, "partOf": ref("Organization/hub-1")}
    assert hub.put("Organization/spoke-2", taken).status_code == 403
    assert network.admin.get("Organization/spoke-2").json["partOf"] == ref("Organization/hub-2")


def test_bound_writers_own_what_names_no_owner(network: Network) -> None:
    hub = network.client("hub-admin")
    created = hub.create({"resourceType": "Practitioner", "name": [{"family": "New"}]})
    assert created["extension"][0]["valueReference"] == ref("Organization/hub-1")
    assert network.client("spoke-clinician").get(f"Practitioner/{created['id']}"
                                                 ).status_code == 200
    spoke = network.client("spoke-clinician")
    answer = spoke.create({"resourceType": "QuestionnaireResponse", "status": "completed"})
    assert answer["extension"][0]["valueReference"] == ref("Organization/spoke-1")
    assert hub.get(f"QuestionnaireResponse/{answer['id']}").status_code == 200
    assert network.client("national-program").get(
        f"QuestionnaireResponse/{answer['id']}").status_code == 403


def test_nobody_writes_audit_events(network: Network) -> None:
    admin = network.admin
    event = admin.get("AuditEvent/audit-1").json
    assert admin.put("AuditEvent/audit-1", event).status_code == 403
    assert admin.delete("AuditEvent/audit-1").status_code == 403
    assert admin.post("AuditEvent", {k: v for k, v in event.items()
                                     if k not in ("id", "meta")}).status_code == 403
    patch = [{"op": "replace", "path": "/outcome", "value": "0"}]
    assert admin.patch("AuditEvent/audit-1", patch,
                       content_type="application/json-patch+json").status_code == 403
    assert admin.get("AuditEvent/audit-1").json["meta"]["versionId"] == "1"
