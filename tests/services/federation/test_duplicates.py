"""Duplicate candidates across nodes, and the review Task of a pair."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.task import Task

from registry.errors import Conflict, InvalidRequest, Unprocessable
from registry.services.federation import duplicates
from registry.services.federation.duplicates import Record

HUB_A = "https://hub-a.example.org/fhir"
HUB_B = "https://hub-b.example.org/fhir"
GLOBAL = "https://global.example.org/fhir"
NAIROBI = (-1.2921, 36.8219)


def org(res_id: str, name: str, country: str = "KE", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Organization", "id": res_id, "name": name,
            "address": [{"country": country}], **extra}


def ident(system: str, value: str) -> dict[str, Any]:
    return {"identifier": [{"system": system, "value": value}]}


def test_identifier_keys_are_normalized_and_need_a_system() -> None:
    resource = {"identifier": [{"system": "https://moh.go.ke/facility/", "value": " AB 12 "},
                               {"value": "1"}, {"system": "https://x.org"}, "junk"]}
    assert duplicates.identifier_keys(resource) == {"https://moh.go.ke/facility|ab12"}


def test_identifiers_differing_only_in_separators_are_one() -> None:
    keys = {next(iter(duplicates.identifier_keys(ident("https://x.org/sid", value))))
            for value in ("HUB-001", "hub 001", "HUB.001", "hub_001", "HUB/001", "Hub:001")}
    assert keys == {"https://x.org/sid|hub001"}
    assert duplicates.identifier_keys(ident("https://x.org/sid", "HUB-002")) != {
        "https://x.org/sid|hub001"}


def test_names_ignore_accents_case_and_punctuation() -> None:
    assert duplicates.normalized_name("Hôpital  Général, de Kédougou!") == (
        "hopital general de kedougou")


def test_the_same_identifier_on_two_origins_is_a_candidate() -> None:
    a = duplicates.record_of(org("a1", "Kisumu County Hospital",
                                 **ident("https://moh.go.ke/facility", "KE-1")), HUB_A)
    b = duplicates.record_of(org("b1", "Kisumu CH", **ident("https://moh.go.ke/facility/",
                                                             "ke-1")), HUB_B)
    same_origin = duplicates.record_of(org("a2", "Other",
                                           **ident("https://moh.go.ke/facility", "KE-1")), HUB_A)
    pairs = duplicates.candidate_pairs([a, b, same_origin])
    assert sorted((p.a.reference, p.b.reference) for p in pairs) == [
        ("Organization/a1", "Organization/b1"), ("Organization/a2", "Organization/b1")]
    assert {p.reasons for p in pairs} == {("same identifier https://moh.go.ke/facility|ke1",)}


def test_same_name_country_and_nearby_position_is_a_candidate_far_away_is_not() -> None:
    near = (NAIROBI[0] + 0.003, NAIROBI[1])  # about 330 m north
    far = (NAIROBI[0] + 0.05, NAIROBI[1])  # about 5.6 km north
    a = duplicates.record_of(org("a1", "Kenyatta National Hospital"), HUB_A, NAIROBI)
    b = duplicates.record_of(org("b1", "KENYATTA national hospital."), HUB_B, near)
    c = duplicates.record_of(org("c1", "Kenyatta National Hospital"), GLOBAL, far)
    other_country = duplicates.record_of(org("d1", "Kenyatta National Hospital", "UG"), GLOBAL,
                                         NAIROBI)
    no_position = duplicates.record_of(org("e1", "Kenyatta National Hospital"), GLOBAL)
    [pair] = duplicates.candidate_pairs([a, b, c, other_country, no_position])
    assert (pair.a.reference, pair.b.reference) == ("Organization/a1", "Organization/b1")
    [reason] = pair.reasons
    assert reason.startswith("same name 'kenyatta national hospital' in KE, 3")
    assert reason.endswith(" m apart")
    assert len(duplicates.candidate_pairs([a, c], max_distance_m=10_000)) == 1


def test_a_location_brings_its_own_position_and_lends_it_to_its_organization() -> None:
    location = {"resourceType": "Location", "id": "l1", "name": "Site",
                "managingOrganization": {"reference": "Organization/a1"},
                "position": {"latitude": 1.5, "longitude": 2}}
    assert duplicates.positions_by_organization([location, {"resourceType": "Location"}]) == {
        "Organization/a1": (1.5, 2.0)}
    assert duplicates.record_of(location, HUB_A).position == (1.5, 2.0)


def test_pairs_are_never_across_types_and_their_id_ignores_order() -> None:
    key = ident("https://x.org/id", "1")
    a = duplicates.record_of(org("a1", "A", **key), HUB_A)
    b = duplicates.record_of({"resourceType": "Location", "id": "b1", **key}, HUB_B)
    assert duplicates.candidate_pairs([a, b]) == []
    assert duplicates.pair_id("Organization/x", "Organization/y") == duplicates.pair_id(
        "Organization/y", "Organization/x")
    assert duplicates.pair_id("Organization/x", "Organization/y") != duplicates.pair_id(
        "Organization/x", "Organization/z")


def test_distance() -> None:
    one_degree = duplicates.metres_between((0.0, 0.0), (0.0, 1.0))
    assert 111_000 < one_degree < 111_400
    assert duplicates.metres_between(NAIROBI, NAIROBI) == 0


def pair() -> duplicates.CandidatePair:
    a = Record("Organization/a1", HUB_A, frozenset({"s|1"}))
    b = Record("Organization/b1", HUB_B, frozenset({"s|1"}))
    [found] = duplicates.candidate_pairs([b, a])
    return found


def test_the_review_task_validates_and_reads_back() -> None:
    task = duplicates.review_task(pair(), "2024-06-01T00:00:00Z")
    Task.model_validate(task)
    assert task["id"] == duplicates.pair_id("Organization/a1", "Organization/b1")
    assert task["status"] == "requested" and task["code"]["coding"][0]["code"] == (
        "duplicate-review")
    assert duplicates.pair_of(task) == ("Organization/a1", "Organization/b1")
    assert duplicates.resolution_of(task) is None and duplicates.hidden_reference(task) is None


@pytest.mark.parametrize(("keep", "hidden"), [("A", "Organization/b1"), ("B", "Organization/a1"),
                                              ("both", None)])
def test_resolving_completes_the_task(keep: str, hidden: str | None) -> None:
    task = duplicates.review_task(pair(), "2024-06-01T00:00:00Z")
    done = duplicates.resolve(task, keep, "2024-06-02T00:00:00Z")
    Task.model_validate(done)
    assert done["status"] == "completed" and done["id"] == task["id"]
    assert duplicates.resolution_of(done) == keep
    assert duplicates.hidden_reference(done) == hidden
    with pytest.raises(Conflict, match="already completed"):
        duplicates.resolve(done, "A", "2024-06-03T00:00:00Z")


def test_resolving_refuses_a_bad_choice_or_another_task() -> None:
    task = duplicates.review_task(pair(), "2024-06-01T00:00:00Z")
    with pytest.raises(InvalidRequest, match="A, B or both"):
        duplicates.resolve(task, "C", "2024-06-02T00:00:00Z")
    other = {"resourceType": "Task", "id": "t", "status": "requested",
             "code": {"coding": [{"code": "learning-completion"}]}}
    with pytest.raises(Unprocessable, match="not a duplicate-review Task"):
        duplicates.resolve(other, "A", "2024-06-02T00:00:00Z")
    with pytest.raises(Unprocessable):
        duplicates.pair_of({"resourceType": "Task", "code": "junk", "input": ["junk"]})
