"""Mirrors: ids, rewritten references, meta.source and the Provenance of a pulled version."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.provenance import Provenance

from registry.services.federation import mirror
from registry.services.federation.mirror import Agent, PulledVersion

HUB_A = "https://hub-a.example.org/fhir"
HUB_B = "https://hub-b.example.org/fhir"
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def test_mirror_ids_are_deterministic_valid_and_distinct_across_origins() -> None:
    remote_ids = ["1", "spoke-7", "a" * 51, "a" * 52, "a" * 64, "x.y-z", "not a valid id!"]
    seen: set[str] = set()
    for origin in (HUB_A, HUB_B):
        for remote in remote_ids:
            local = mirror.mirror_id(origin, remote)
            assert local == mirror.mirror_id(origin, remote)
            assert FHIR_ID.fullmatch(local) and len(local) <= 64
            seen.add(local)
    assert len(seen) == 2 * len(remote_ids)


def test_the_readable_form_keeps_the_remote_id_and_the_spelling_of_the_base_does_not_matter(
        ) -> None:
    local = mirror.mirror_id(HUB_A, "spoke-7")
    assert local.endswith(".spoke-7") and len(local) == 12 + 1 + len("spoke-7")
    assert mirror.mirror_id("HTTPS://Hub-A.example.org:443/fhir/", "spoke-7") == local
    assert mirror.mirror_id("http://hub-a.example.org/fhir", "spoke-7") != local


def test_the_two_forms_never_meet_within_one_origin() -> None:
    long_id = "b" * 60
    hashed = mirror.mirror_id(HUB_A, long_id)
    assert hashed[12] == "-" and mirror.mirror_id(HUB_A, "b" * 51)[12] == "."


def organization(**extra: Any) -> dict[str, Any]:
    return {"resourceType": "Organization", "id": "spoke-1", "name": "Spoke 1",
            "meta": {"versionId": "4", "lastUpdated": "2024-01-01T00:00:00Z",
                     "source": "#abc", "tag": [{"code": "published"}]}, **extra}


def test_references_into_the_origin_are_rewritten_and_others_left_alone() -> None:
    resource = organization(
        partOf={"reference": "Organization/hub-1"},
        endpoint=[{"reference": f"{HUB_A}/Endpoint/e1"},
                  {"reference": "https://HUB-A.example.org:443/fhir/Endpoint/e2/_history/3"},
                  {"reference": "Endpoint/e3/_history/2"},
                  {"reference": f"{HUB_B}/Endpoint/e4"},
                  {"reference": "#contained-1"},
                  {"reference": "urn:uuid:4e3b7a7c-1f34-4a1b-9d55-2d9f0b1c8a11"},
                  {"reference": "Endpoint?identifier=x|y"},
                  {"reference": "https://hub-a.example.org/other/Endpoint/e5"},
                  {"identifier": {"system": "s", "value": "v"}, "display": "by identifier"}],
        extension=[{"url": "https://x.org/ext", "valueReference": {"reference": "Location/l1"}},
                   {"url": "https://x.org/measure",
                    "valueCanonical": "https://hub-a.example.org/fhir/Measure/m1"}],
    )
    rewritten = mirror.rewrite_references(resource, HUB_A)

    def local(ref: str) -> str:
        kind, _, remote = ref.partition("/")
        return f"{kind}/{mirror.mirror_id(HUB_A, remote)}"

    assert rewritten["partOf"] == {"reference": local("Organization/hub-1")}
    assert [e.get("reference") for e in rewritten["endpoint"]] == [
        local("Endpoint/e1"), local("Endpoint/e2"), local("Endpoint/e3"),
        f"{HUB_B}/Endpoint/e4", "#contained-1", "urn:uuid:4e3b7a7c-1f34-4a1b-9d55-2d9f0b1c8a11",
        "Endpoint?identifier=x|y", "https://hub-a.example.org/other/Endpoint/e5", None]
    assert rewritten["extension"][0]["valueReference"] == {"reference": local("Location/l1")}
    assert rewritten["extension"][1] == resource["extension"][1]  # canonical: left alone
    assert resource["partOf"] == {"reference": "Organization/hub-1"}  # the input is not touched


def test_to_mirror_sets_id_source_and_keeps_the_rest() -> None:
    pulled = PulledVersion(HUB_A + "/", "Organization", "spoke-1", "4")
    got = mirror.to_mirror(organization(partOf={"reference": "Organization/hub-1"}), pulled)
    assert got["id"] == mirror.mirror_id(HUB_A, "spoke-1")
    assert got["meta"] == {"tag": [{"code": "published"}], "source": f"{HUB_A}#4"}
    assert got["partOf"]["reference"] == f"Organization/{mirror.mirror_id(HUB_A, 'hub-1')}"
    Organization.model_validate(got)


def test_meta_source_round_trip() -> None:
    assert mirror.source(HUB_A + "/", "7") == f"{HUB_A}#7"
    assert mirror.parse_source(f"{HUB_A}#7") == (HUB_A, "7")
    assert mirror.parse_source(HUB_A) == (HUB_A, None)


def test_provenance_validates_and_names_both_sides() -> None:
    pulled = PulledVersion(HUB_A, "Organization", "spoke-1", "4")
    peer = Agent(HUB_A, "Hub A (Kenya)", "Endpoint/peer-hub-a")
    node = Agent("https://global.example.org/fhir", "Global node")
    body = mirror.provenance(pulled, "2", peer, node, recorded="2024-06-01T12:00:00Z")
    Provenance.model_validate(body)
    local_id = mirror.mirror_id(HUB_A, "spoke-1")
    assert body["target"] == [{"reference": f"Organization/{local_id}/_history/2"}]
    assert body["entity"] == [{"role": "source", "what": {
        "reference": f"{HUB_A}/Organization/spoke-1/_history/4"}}]
    peer_who, node_who = (agent["who"] for agent in body["agent"])
    assert peer_who["extension"][0]["valueReference"] == {"reference": "Endpoint/peer-hub-a"}
    assert peer_who["identifier"]["value"] == HUB_A and peer_who["display"] == "Hub A (Kenya)"
    assert "extension" not in node_who and node_who["identifier"]["value"].startswith("https://g")
    assert body["activity"]["coding"][0]["code"] == "UPDATE"
    again = mirror.provenance(pulled, "2", peer, node, recorded="2024-06-02T00:00:00Z")
    assert again["id"] == body["id"] and FHIR_ID.fullmatch(body["id"])
    other = mirror.provenance(PulledVersion(HUB_A, "Organization", "spoke-1", "5"), "3", peer,
                              node, recorded="2024-06-02T00:00:00Z")
    assert other["id"] != body["id"]


def test_provenance_refuses_an_unknown_operation() -> None:
    pulled = PulledVersion(HUB_A, "Organization", "spoke-1", "4")
    agent = Agent(HUB_A, "A")
    with pytest.raises(ValueError, match="CREATE, UPDATE, DELETE"):
        mirror.provenance(pulled, "1", agent, agent, recorded="2024-01-01T00:00:00Z",
                          operation="MERGE")
