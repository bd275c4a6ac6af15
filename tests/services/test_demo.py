"""The demo network generator: deterministic, in dependency order, of the promised size,
R4B-valid and conforming to the network profiles; and the session generator for benchmarks."""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from collections import Counter
from datetime import datetime
from functools import cache
from importlib import resources as package_files
from itertools import islice
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from registry.services import terminology
from registry.services.demo import (
    Roster,
    expected_resources,
    generate_network,
    generate_sessions,
    rosters,
    scale_for,
)
from registry.services.profiles import check

BASE = terminology.BASE
ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


@cache
def network() -> tuple[dict[str, Any], ...]:
    return tuple(generate_network())


def _digest(resources: Any) -> str:
    digest = hashlib.sha256()
    for resource in resources:
        digest.update(json.dumps(resource, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def _schema(path: str) -> Any:
    return json.loads(package_files.files("schemas").joinpath(path).read_text(encoding="utf-8"))


def _of(rtype: str) -> list[dict[str, Any]]:
    return [r for r in network() if r["resourceType"] == rtype]


def _kind(org: dict[str, Any]) -> str:
    return org["type"][0]["coding"][0]["code"]


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for k, v in node.items() if k != "reference" for r in _references(v)]
    if isinstance(node, list):
        return [r for item in node for r in _references(item)]
    return []


def test_same_seed_gives_byte_identical_output() -> None:
    assert _digest(generate_network(seed=2026)) == _digest(network())
    assert _digest(generate_network(seed=7, scale=0.3)) == _digest(generate_network(7, 0.3))


def test_another_seed_gives_another_network() -> None:
    assert _digest(generate_network(seed=2027)) != _digest(network())


def test_counts_at_scale_one() -> None:
    orgs = Counter(_kind(o) for o in _of("Organization"))
    hubs = [o for o in _of("Organization") if _kind(o) == "hub"]
    assert orgs["hub"] >= 12
    assert len({h["address"][0]["country"] for h in hubs}) >= 8
    assert orgs["national-program"] >= 3
    assert orgs["spoke"] >= 150
    assert len(_of("Location")) == len(_of("OrganizationAffiliation")) == orgs["spoke"]
    assert len(_of("Practitioner")) >= 1500
    assert len(_of("PractitionerRole")) >= len(_of("Practitioner"))
    assert len(_of("HealthcareService")) >= 25
    assert len(_of("Endpoint")) == orgs["hub"]
    assert abs(len(network()) - expected_resources(1.0)) < 0.05 * len(network())


def test_programs_cover_topics_and_the_four_languages() -> None:
    programs = _of("HealthcareService")
    topics = {p["type"][0]["coding"][0]["code"] for p in programs}
    languages = {c["coding"][0]["code"] for p in programs for c in p["communication"]}
    assert len(topics) >= 6
    assert {"en", "es", "pt", "fr"} <= languages
    assert all(p["availableTime"][0]["daysOfWeek"] for p in programs)


def test_roles_span_the_role_value_set_and_many_disciplines() -> None:
    roles = _of("PractitionerRole")
    codes = {c["coding"][0]["code"] for r in roles for c in r["code"]}
    disciplines = {r["specialty"][0]["coding"][0]["code"] for r in roles}
    assert codes == {"tutor", "mentee", "facilitator", "coordinator", "presenter"}
    assert len(disciplines) >= 10


def test_sites_mix_settlements_near_real_towns() -> None:
    places = _schema("demo/places.json")["countries"]
    settlements: Counter[str] = Counter()
    for site in _of("Location"):
        settlements[site["extension"][0]["valueCoding"]["code"]] += 1
        address, position = site["address"], site["position"]
        town = next(t for t in places[address["country"]]["towns"] if t[0] == address["city"])
        assert town[1] == address["state"]
        assert abs(town[2] - position["latitude"]) <= 0.25
        assert abs(town[3] - position["longitude"]) <= 0.25
    assert set(settlements) == {"rural", "urban", "peri-urban"}


def test_references_point_backwards_and_ids_are_unique() -> None:
    seen: set[str] = set()
    for resource in network():
        for reference in _references(resource):
            assert reference in seen, f"{resource['id']} refers forward to {reference}"
        key = f"{resource['resourceType']}/{resource['id']}"
        assert ID.match(resource["id"]) and key not in seen
        seen.add(key)


def test_everything_is_marked_as_fictional() -> None:
    for resource in network():
        assert resource["meta"]["tag"][0]["code"] == "HTEST"
        name = resource.get("name")
        if isinstance(name, str):
            assert name.endswith("(demo)"), name


def test_whole_network_is_r4b_valid_and_conforms_to_the_profiles() -> None:
    store = {f"{r['resourceType']}/{r['id']}": r for r in network()}
    for resource in network():
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert check(resource, store.get) == [], resource["id"]
        unclaimed = {k: v for k, v in resource.items() if k != "meta"}
        assert check(unclaimed, store.get) == [], resource["id"]


def test_network_search_parameters_find_demo_values() -> None:
    from registry.services.search.expression import compile_expression

    bundle = _schema("searchparameters/network.json")
    params = {(e["resource"]["base"][0], e["resource"]["code"]): e["resource"]
              for e in bundle["entry"]}
    first = {rtype: _of(rtype)[0] for rtype in ("Organization", "Location", "PractitionerRole",
                                                  "HealthcareService", "OrganizationAffiliation")}
    for rtype, resource in first.items():
        assert compile_expression(params[(rtype, "country")]["expression"])(resource) == ["AR"]
    program = first["HealthcareService"]
    topic = compile_expression(params[("HealthcareService", "topic")]["expression"])(program)
    assert [c["code"] for c in topic] == ["substance-use-disorders"]
    settlement = compile_expression(params[("Location", "settlement")]["expression"])
    assert settlement(first["Location"])[0]["system"] == f"{BASE}/CodeSystem/settlement"


def test_scale_multiplies_spokes_and_staff() -> None:
    small = Counter(r["resourceType"] for r in generate_network(scale=0.5))
    assert small["OrganizationAffiliation"] == 80
    assert small["Practitioner"] < len(_of("Practitioner")) * 0.6
    with pytest.raises(ValueError):
        next(generate_network(scale=0))


def test_a_million_resources_stream_without_being_built_first() -> None:
    stream = generate_network(scale=600)
    assert inspect.isgenerator(stream)
    head = Counter(r["resourceType"] for r in islice(stream, 20_000))
    assert head["Practitioner"] > 9_000  # hub staff already scaled 600-fold
    assert expected_resources(600) > 1_000_000
    assert abs(expected_resources(scale_for(1_000_000)) - 1_000_000) < 10_000


# --- sessions -------------------------------------------------------------------------------


@cache
def programs() -> list[Roster]:
    return rosters(network())


def test_rosters_collect_programs_with_their_people() -> None:
    found = programs()
    assert len(found) >= 25
    role_ids = {f"PractitionerRole/{r['id']}" for r in _of("PractitionerRole")}
    for roster in found:
        assert roster.hosts and roster.attendees
        assert set(roster.hosts) <= role_ids and set(roster.attendees) <= role_ids
        assert roster.start < roster.end


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_sessions_are_finished_virtual_encounters_with_plausible_attendance() -> None:
    roles = {f"PractitionerRole/{r['id']}" for r in _of("PractitionerRole")}
    services = {f"HealthcareService/{s['id']}": s for s in _of("HealthcareService")}
    sessions = list(generate_sessions(11, programs(), 300))
    assert len({s["id"] for s in sessions}) == 300
    for session in sessions:
        get_fhir_model_class("Encounter").model_validate(session)
        assert session["status"] == "finished"
        assert session["class"]["code"] == "VR"
        program = services[session["extension"][0]["valueReference"]["reference"]]
        assert session["serviceType"]["coding"] == program["type"][0]["coding"]
        start, end = (_moment(session["period"][k]) for k in ("start", "end"))
        assert start < end <= datetime.fromisoformat("2026-01-05T00:00:00+00:00")
        kinds = Counter(p["type"][0]["coding"][0]["code"] for p in session["participant"])
        assert kinds["PPRF"] >= 1 and kinds["PART"] >= 1
        for person in session["participant"]:
            assert person["individual"]["reference"] in roles
            joined, left = (_moment(person["period"][k]) for k in ("start", "end"))
            assert joined < left <= end


def test_sessions_are_deterministic() -> None:
    assert _digest(generate_sessions(3, programs(), 500)) == _digest(
        generate_sessions(3, programs(), 500))
    assert _digest(generate_sessions(3, programs(), 50)) != _digest(
        generate_sessions(4, programs(), 50))


def test_sessions_need_a_program() -> None:
    with pytest.raises(ValueError):
        next(generate_sessions(1, [], 10))
