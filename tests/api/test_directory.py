"""The network directory: mCSD-style discovery questions, each one request, and its rules."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.conftest import Fhir

AMERICAS = "AR,BR,CA,CL,CO,MX,PE,US,UY"


@pytest.fixture
def directory(fhir: Fhir) -> dict[str, str]:
    """Two hubs (Peru, Spain), spokes with sites, tutors and programs."""
    ids: dict[str, str] = {}
    ids["hub_pe"] = fhir.create(f.hub("Hub Andino (demo)", "PE"))["id"]
    ids["hub_es"] = fhir.create(f.hub("Hub Ibérico (demo)", "ES", ident="HUB-ES"))["id"]
    pe, es = f"Organization/{ids['hub_pe']}", f"Organization/{ids['hub_es']}"
    for key, (lat, lon) in {"cusco": (-13.53, -71.97), "lima": (-12.05, -77.04)}.items():
        spoke = fhir.create(f.spoke(f"Posta {key} (demo)", pe, ident=f"SPK-{key}"))["id"]
        ids[f"spoke_{key}"] = spoke
        ids[f"site_{key}"] = fhir.create(f.site(key, f"Organization/{spoke}", lat, lon))["id"]
        fhir.create(f.affiliation(pe, f"Organization/{spoke}"))
    ids["sud_es"] = fhir.create(f.program("TUS (demo)", pe, languages=("es",)))["id"]
    ids["hiv_pt"] = fhir.create(f.program("HIV (demo)", pe, "hiv-art", ("pt",)))["id"]
    ids["sud_spain"] = fhir.create(f.program("TUS España", es, languages=("es",),
                                             country="ES"))["id"]
    for n, (org, code, discipline) in enumerate([(pe, "tutor", "psychiatry"),
                                                 (pe, "tutor", "pharmacy"),
                                                 (pe, "coordinator", "nursing"),
                                                 (es, "tutor", "psychology")]):
        person = fhir.create(f.practitioner(f"Doe{n}"))["id"]
        ids[f"role{n}"] = fhir.create(f.role(f"Practitioner/{person}", org, code, discipline,
                                             country="ES" if org == es else "PE"))["id"]
    return ids


def test_spanish_sud_programs_of_hubs_in_the_americas(fhir: Fhir, directory) -> None:
    query = (f"HealthcareService?topic=substance-use-disorders&language=es"
             f"&country={AMERICAS}")
    assert fhir.ids(query) == [directory["sud_es"]]


def test_all_spokes_of_a_hub_with_their_locations(fhir: Fhir, directory) -> None:
    bundle = fhir.search(f"Organization?partof=Organization/{directory['hub_pe']}"
                         "&_revinclude=Location:organization")
    matches = {e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "match"}
    included = {e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "include"}
    assert matches == {directory["spoke_cusco"], directory["spoke_lima"]}
    assert included == {directory["site_cusco"], directory["site_lima"]}


def test_all_tutors_of_a_programs_hub_with_disciplines(fhir: Fhir, directory) -> None:
    bundle = fhir.search("PractitionerRole?role=tutor&organization._has:HealthcareService:"
                         f"organization:_id={directory['sud_es']}"
                         "&_include=PractitionerRole:practitioner")
    roles = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "match"]
    assert {r["id"] for r in roles} == {directory["role0"], directory["role1"]}
    disciplines = {r["specialty"][0]["coding"][0]["code"] for r in roles}
    assert disciplines == {"psychiatry", "pharmacy"}
    assert sum(e["search"]["mode"] == "include" for e in bundle["entry"]) == 2


def test_spokes_within_200_km_of_a_point(fhir: Fhir, directory) -> None:
    bundle = fhir.search("Location?near=-13.5|-72.0|200|km&_include=Location:organization")
    matches = [e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "match"]
    assert matches == [directory["site_cusco"]]  # Lima is about 570 km away
    assert len(fhir.ids("Location?near=-13.5|-72.0|700|km")) == 2


def test_settlement_and_country_parameters(fhir: Fhir, directory) -> None:
    assert len(fhir.ids("Location?settlement=rural")) == 2
    assert fhir.ids("PractitionerRole?country=ES") == [directory["role3"]]
    assert len(fhir.ids("Organization?country=PE")) == 3


def test_deactivating_a_spoke_keeps_its_history(fhir: Fhir, directory) -> None:
    oid = directory["spoke_cusco"]
    spoke = fhir.get(f"Organization/{oid}").json
    assert fhir.put(f"Organization/{oid}", {**spoke, "active": False}).status_code == 200
    history = fhir.search(f"Organization/{oid}/_history")["entry"]
    assert [e["resource"]["active"] for e in history] == [False, True]
    assert oid not in fhir.ids("Organization?active=true")


@pytest.mark.parametrize(("mutate", "expression"), [
    (lambda r: r.pop("name"), "Organization.name"),
    (lambda r: r["address"][0].update(country="XX"), "Organization.address[0].country"),
    (lambda r: r.pop("partOf"), "Organization.partOf"),
])
def test_profile_violations_are_refused_and_nothing_written(fhir: Fhir, directory, mutate,
                                                            expression: str) -> None:
    spoke = f.spoke("Bad spoke", f"Organization/{directory['hub_pe']}")
    mutate(spoke)
    before = fhir.search("Organization?_summary=count")["total"]
    response = fhir.post("Organization", spoke)
    assert response.status_code == 422
    assert any(expression in i.get("expression", []) for i in response.json["issue"])
    assert fhir.search("Organization?_summary=count")["total"] == before


def test_spoke_must_be_part_of_a_hub(fhir: Fhir, directory) -> None:
    bad = f.spoke("Under a spoke", f"Organization/{directory['spoke_cusco']}")
    assert fhir.post("Organization", bad).status_code == 422


def test_validate_operation_writes_nothing(fhir: Fhir, directory) -> None:
    good = fhir.post("Organization/$validate", f.hub("New hub", "CL"))
    assert good.status_code == 200
    assert good.json["issue"][0]["severity"] == "information"
    bad = fhir.post("Organization/$validate", {"resourceType": "Parameters", "parameter": [
        {"name": "resource", "resource": {**f.hub("x"), "active": None}}]})
    assert bad.json["issue"][0]["severity"] == "error"
    stored = fhir.get(f"Organization/{directory['hub_pe']}/$validate")
    assert stored.json["issue"][0]["severity"] == "information"
    assert fhir.search("Organization?name=new hub").get("entry") is None


def test_expand_and_lookup_with_display_language(fhir: Fhir) -> None:
    url = "https://telementoring.example.org/fhir/ValueSet/program-role"
    expansion = fhir.search(f"ValueSet/$expand?url={url}&displayLanguage=es")["expansion"]
    displays = {c["code"]: c["display"] for c in expansion["contains"]}
    assert displays["tutor"].lower().startswith("tutor")
    assert fhir.get("ValueSet/$expand?url=https://nope.example/vs").status_code == 404
    found = fhir.search(f"CodeSystem/$lookup?system={f.DISCIPLINE}&code=psychiatry"
                        "&displayLanguage=pt")
    display = next(p["valueString"] for p in found["parameter"] if p["name"] == "display")
    assert display == "Psiquiatria"
    assert fhir.get(f"CodeSystem/$lookup?system={f.DISCIPLINE}&code=nope").status_code == 400
