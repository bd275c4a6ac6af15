"""Search: every parameter type, modifiers, prefixes, chaining, _has, includes, paging, totals."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event as sa_event

from registry.services.search.request import parse_search
from registry.storage.search import engine as search_engine
from tests import factories
from tests.conftest import Fhir
from tests.factories import KIND
from tests.statements import recorded_statements, resource_reads

NET = KIND


def org(name: str, code: str = "hub", **extra: object) -> dict:
    """A plain organization of the given kind (no hub/spoke profile applies to 'other')."""
    return {"resourceType": "Organization", "name": name, "active": True,
            "type": [{"coding": [{"system": "http://example.org/kind", "code": code}],
                      "text": f"{code} site"}],
            "identifier": [{"system": "https://hubs.example.org", "value": name.upper()[:6]}],
            **extra}


@pytest.fixture
def network(fhir: Fhir) -> dict[str, dict]:
    made = {"andes": fhir.create(factories.hub("Hub Andino de Adicciones",
                                               address=[{"country": "PE", "city": "Cusco"}]))}
    made["sao"] = fhir.create(factories.hub("São Paulo Hub", "BR"))
    hub_ref = f"Organization/{made['andes']['id']}"
    made["jose"] = fhir.create(factories.spoke("Clínica José Pérez", hub_ref))
    made["loc"] = fhir.create(factories.site("Posta Rural Urubamba",
                                             f"Organization/{made['jose']['id']}",
                                             -13.30, -72.11))
    doctor = fhir.create(factories.practitioner("Quispe"))
    made["role"] = fhir.create(factories.role(
        f"Practitioner/{doctor['id']}", hub_ref,
        period={"start": "2024-03-01", "end": "2024-12-31"}))
    return made


def test_string_default_is_case_and_accent_insensitive_prefix(fhir: Fhir, network) -> None:
    assert fhir.ids("Organization?name=clinica jose") == [network["jose"]["id"]]
    assert fhir.ids("Organization?name=SAO") == [network["sao"]["id"]]
    assert fhir.ids("Organization?name=paulo") == []


def test_string_exact_and_contains(fhir: Fhir, network) -> None:
    assert fhir.ids("Organization?name:exact=São Paulo Hub") == [network["sao"]["id"]]
    assert fhir.ids("Organization?name:exact=sao paulo hub") == []
    assert fhir.ids("Organization?name:contains=paulo") == [network["sao"]["id"]]


def test_string_on_address_parts(fhir: Fhir, network) -> None:
    assert set(fhir.ids("Organization?address=cusco")) == {network["andes"]["id"],
                                                           network["jose"]["id"]}
    assert fhir.ids("Organization?address-city=cusco") == [network["andes"]["id"]]
    assert fhir.ids("Organization?address-country=BR") == [network["sao"]["id"]]
    assert fhir.ids("Location?address-state=cusco") == [network["loc"]["id"]]


def test_token_forms(fhir: Fhir, network) -> None:
    hubs = {network["andes"]["id"], network["sao"]["id"]}
    assert set(fhir.ids(f"Organization?type={NET}|hub")) == hubs
    assert set(fhir.ids("Organization?type=hub")) == hubs
    assert set(fhir.ids(f"Organization?type={NET}|")) == hubs | {network["jose"]["id"]}
    assert fhir.ids("Organization?type=|hub") == []
    assert fhir.ids("Organization?type:not=hub") == [network["jose"]["id"]]
    assert fhir.ids("Organization?type:text=spoke") == [network["jose"]["id"]]
    assert len(fhir.ids("Organization?active=true")) == 3


def test_or_with_comma_and_and_with_repetition(fhir: Fhir, network) -> None:
    assert len(fhir.ids("Organization?name=sao,hub")) == 2
    assert fhir.ids("Organization?name=hub&address-country=PE") == [network["andes"]["id"]]


def test_id_and_missing(fhir: Fhir, network) -> None:
    assert fhir.ids(f"Organization?_id={network['sao']['id']}") == [network["sao"]["id"]]
    assert fhir.ids("Organization?partof:missing=false") == [network["jose"]["id"]]
    assert set(fhir.ids("Organization?partof:missing=true")) == {network["andes"]["id"],
                                                                 network["sao"]["id"]}


def test_reference_forms(fhir: Fhir, network) -> None:
    jose = network["jose"]["id"]
    loc = [network["loc"]["id"]]
    assert fhir.ids(f"Location?organization=Organization/{jose}") == loc
    assert fhir.ids(f"Location?organization={jose}") == loc
    assert fhir.ids(f"Location?organization:Organization={jose}") == loc
    assert fhir.ids(f"Location?organization=http://registry.test/fhir/Organization/{jose}") == loc
    assert fhir.ids("Location?organization=Organization/other") == []


def test_chaining_and_reverse_chaining(fhir: Fhir, network) -> None:
    assert fhir.ids("Location?organization.name=clinica") == [network["loc"]["id"]]
    assert fhir.ids("PractitionerRole?organization.address-country=PE") == [
        network["role"]["id"]]
    assert fhir.ids("Organization?_has:PractitionerRole:organization:role=tutor") == [
        network["andes"]["id"]]


def test_date_prefixes(fhir: Fhir, network) -> None:
    role = [network["role"]["id"]]
    assert fhir.ids("PractitionerRole?date=2024") == role  # eq: the period lies inside 2024
    assert fhir.ids("PractitionerRole?date=2024-06") == []  # June does not contain the period
    assert fhir.ids("PractitionerRole?date=ge2024-12-31") == role
    assert fhir.ids("PractitionerRole?date=gt2025-01-01") == []
    assert fhir.ids("PractitionerRole?date=lt2024-03-02") == role
    assert fhir.ids("PractitionerRole?date=sa2023-12-31") == role
    assert fhir.ids("PractitionerRole?date=eb2024-03-01") == []
    assert fhir.ids("PractitionerRole?date=ne2024") == []
    assert fhir.ids("PractitionerRole?date=ne2024-06") == role


def test_last_updated(fhir: Fhir, network) -> None:
    assert len(fhir.ids("Organization?_lastUpdated=gt2020-01-01")) == 3
    assert fhir.ids("Organization?_lastUpdated=lt2020-01-01") == []


def test_number_and_quantity(fhir: Fhir) -> None:
    report = fhir.create({
        "resourceType": "MeasureReport", "status": "complete", "type": "summary",
        "measure": "https://telementoring.example.org/fhir/Measure/attendance",
        "period": {"start": "2026-01-01", "end": "2026-06-30"}})
    obs = fhir.create({
        "resourceType": "Observation", "status": "final", "code": {"text": "PHQ-9"},
        "valueQuantity": {"value": 18, "unit": "score", "system": "http://unitsofmeasure.org",
                          "code": "{score}"}})
    assert fhir.ids("Observation?value-quantity=18") == [obs["id"]]
    assert fhir.ids("Observation?value-quantity=gt17") == [obs["id"]]
    assert fhir.ids("Observation?value-quantity=lt17") == []
    assert fhir.ids("Observation?value-quantity=18|http://unitsofmeasure.org|{score}") == [
        obs["id"]]
    assert fhir.ids("Observation?value-quantity=18||mg") == []
    assert fhir.ids("Observation?value-quantity=ap19") == [obs["id"]]
    assert fhir.ids("MeasureReport?measure=https://telementoring.example.org/fhir/Measure/"
                    "attendance") == [report["id"]]


def test_uri_and_profile(fhir: Fhir) -> None:
    profile = "https://telementoring.example.org/fhir/StructureDefinition/hub-organization"
    hub = fhir.create({**factories.hub("Profiled"), "meta": {"profile": [profile]}})
    assert fhir.ids(f"Organization?_profile={profile}") == [hub["id"]]
    assert fhir.ids("Organization?_profile:below=https://telementoring.example.org/") == [
        hub["id"]]
    assert fhir.ids(f"Organization?_profile:above={profile}/v2") == [hub["id"]]
    assert fhir.ids(f"Organization?_profile:above={profile[:-1]}") == []


def test_tag_and_security(fhir: Fhir) -> None:
    tagged = fhir.create({**org("Tagged"), "meta": {
        "tag": [{"system": NET, "code": "published"}],
        "security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                      "code": "N"}]}})
    fhir.create(org("Untagged"))
    assert fhir.ids(f"Organization?_tag={NET}|published") == [tagged["id"]]
    assert fhir.ids("Organization?_security=N") == [tagged["id"]]


def test_near(fhir: Fhir, network) -> None:
    assert fhir.ids("Location?near=-13.53|-71.97|50|km") == [network["loc"]["id"]]
    assert fhir.ids("Location?near=-13.53|-71.97|10|km") == []
    assert fhir.ids("Location?near=-12.05|-77.04|200|km") == []  # Lima is ~500 km away


def test_include_revinclude_iterate(fhir: Fhir, network) -> None:
    bundle = fhir.search("Location?_include=Location:organization")
    modes = {(e["resource"]["resourceType"], e["search"]["mode"]) for e in bundle["entry"]}
    assert modes == {("Location", "match"), ("Organization", "include")}
    bundle = fhir.search(f"Organization?_id={network['jose']['id']}"
                         "&_revinclude=Location:organization")
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Organization",
                                                                        "Location"]
    bundle = fhir.search("Location?_include=Location:organization"
                         "&_include:iterate=Organization:partof")
    assert bundle["total"] == 1


def test_include_reads_its_targets_in_one_statement_and_never_deleted_ones(
        app: Flask, fhir: Fhir, network) -> None:
    """From the page's pks through ``idx_reference`` to the targets, in one statement per
    ``_include`` (on PostgreSQL in ``res_id``'s collation, so the key index serves it)."""
    engine = app.extensions["registry.database"].engine
    with recorded_statements(engine) as executed:
        bundle = fhir.search("PractitionerRole?_include=PractitionerRole:practitioner"
                             "&_include=PractitionerRole:organization")
    included = sorted(e["resource"]["resourceType"] for e in bundle["entry"]
                      if e["search"]["mode"] == "include")
    assert included == ["Organization", "Practitioner"]
    reads = resource_reads(executed)
    assert len(reads) == 3, reads  # the page, then one statement per _include
    practitioner = network["role"]["practitioner"]["reference"]
    assert fhir.delete(practitioner).status_code == 204
    bundle = fhir.search("PractitionerRole?_include=PractitionerRole:practitioner")
    assert [e["search"]["mode"] for e in bundle["entry"]] == ["match"]


def test_a_page_cut_from_the_index_reads_its_includes_with_it(app: Flask, fhir: Fhir,
                                                               network) -> None:
    """With criteria the index tables answer alone, PostgreSQL reads the page and the targets
    of every ``_include`` in one statement (SQLite in one per part), following only the
    matches the page shows: not the extra row that tells there is a next page."""
    hub = network["role"]["organization"]["reference"]
    doctors = [fhir.create(factories.practitioner(f"Mamani {n}")) for n in range(3)]
    roles = [fhir.create(factories.role(f"Practitioner/{d['id']}", hub)) for d in doctors]
    assert fhir.delete(f"Practitioner/{doctors[2]['id']}").status_code == 204
    engine = app.extensions["registry.database"].engine
    query = (f"PractitionerRole?organization={hub}&_include=PractitionerRole:practitioner"
             "&_include=PractitionerRole:organization&_count=2")
    with recorded_statements(engine) as executed:
        pages = [fhir.search(query), fhir.search(f"{query}&_offset=2")]

    def entries(bundle: dict[str, Any], mode: str) -> list[str]:
        return sorted(f"{e['resource']['resourceType']}/{e['resource']['id']}"
                      for e in bundle["entry"] if e["search"]["mode"] == mode)
    first = network["role"]
    assert entries(pages[0], "match") == sorted([f"PractitionerRole/{first['id']}",
                                                 f"PractitionerRole/{roles[0]['id']}"])
    assert entries(pages[0], "include") == sorted([
        hub, first["practitioner"]["reference"], f"Practitioner/{doctors[0]['id']}"])
    assert "next" in {link["relation"] for link in pages[0]["link"]}
    # the next page's roles: one whose practitioner is current, one whose was deleted
    assert entries(pages[1], "match") == sorted([f"PractitionerRole/{roles[1]['id']}",
                                                 f"PractitionerRole/{roles[2]['id']}"])
    assert entries(pages[1], "include") == sorted([hub, f"Practitioner/{doctors[1]['id']}"])
    reads = resource_reads(executed)
    per_page = 1 if engine.dialect.name == "postgresql" else 3
    assert len(reads) == 2 * per_page, reads


def test_sort_multiple_keys(fhir: Fhir, network) -> None:
    names = [e["resource"]["name"] for e in fhir.search("Organization?_sort=name")["entry"]]
    assert names == sorted(names, key=lambda n: n.lower().replace("á", "a").replace("ã", "a"))
    reverse = fhir.search("Organization?_sort=-name")["entry"]
    assert [e["resource"]["name"] for e in reverse] == names[::-1]
    by_type = fhir.search("Organization?_sort=type,-_lastUpdated")["entry"]
    assert by_type[0]["resource"]["type"][0]["coding"][0]["code"] == "hub"


def test_paging_links_are_stable_and_complete(fhir: Fhir) -> None:
    created = {fhir.create(org(f"Org {i:02d}"))["id"] for i in range(7)}
    seen: list[str] = []
    url = "Organization?_count=3&_sort=name"
    pages = 0
    while url:
        bundle = fhir.search(url)
        seen += [e["resource"]["id"] for e in bundle.get("entry", [])]
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        url = links.get("next", "").replace("http://registry.test/fhir/", "")
        pages += 1
        if pages == 2:
            assert "previous" in links
    assert pages == 3 and len(seen) == 7 and set(seen) == created


def test_a_search_shape_is_built_once_and_its_values_bound_per_request(fhir: Fhir,
                                                                     network) -> None:
    shared = search_engine._shared
    shared.cache_clear()
    assert fhir.ids("Organization?name=clinica jose") == [network["jose"]["id"]]
    built = shared.cache_info()
    assert fhir.ids("Organization?name=sao") == [network["sao"]["id"]]
    assert fhir.ids("Organization?name=nowhere") == []
    again = shared.cache_info()
    assert (again.misses, again.hits) == (built.misses, built.hits + 2)
    # another variant of the same parameter (a token's system|code) is another shape
    assert fhir.ids("Organization?identifier=https://hubs.example.org|SÃO PA") == []
    assert shared.cache_info().misses == built.misses + 1


@pytest.mark.parametrize(("query", "fits"), [
    ("Organization?name=clinica", True),
    ("Organization?name:exact=Clínica José Pérez", True),
    ("Organization?name:contains=jose", False),
    ("Organization?identifier=https://hubs.example.org|SAO", True),
    ("Organization?partof=Organization/x&_profile:below=https://example.org/", True),
    ("Organization?address-country:missing=true", True),
    ("PractitionerRole?organization.name=clinica", True),
    ("PractitionerRole?organization.name=clinica&date=ge2024-01-01", False),
    ("Organization?_lastUpdated=gt2020-01-01", False),
    ("Observation?value-quantity=gt17", False),
    ("Location?near=-13.3|-72.1|10|km", False),
    ("Organization?_sort=-_lastUpdated", True),
])
def test_one_plan_fits_searches_whose_plan_no_value_can_change(app: Flask, query: str,
                                                              fits: bool) -> None:
    res_type, _, raw = query.partition("?")
    params: dict[str, list[str]] = {}
    for pair in raw.split("&"):
        name, _, value = pair.partition("=")
        params.setdefault(name, []).append(value)
    node = app.extensions["registry.node"]
    search = parse_search(res_type, params, node, strict=True)
    bound = search_engine.bind_query(search, "http://registry.test/fhir", None)
    assert bound.shape.one_plan_fits is fits


def test_postgresql_keeps_one_plan_for_searches_it_fits_and_only_for_them(
        app: Flask, fhir: Fhir, network) -> None:
    """Each statement of a search runs with generic plans forced when no value can change its
    plan (else PostgreSQL re-plans a chained or page-cut prefix search on every execution at
    1M resources); a date range keeps the server's choice, and so does every later request."""
    engine = app.extensions["registry.database"].engine
    postgres = engine.dialect.name == "postgresql"
    modes: list[str] = []

    def record(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if postgres and resource_reads([statement]):
            modes.append(conn.connection.dbapi_connection.execute(
                "SHOW plan_cache_mode").fetchone()[0])
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        assert fhir.ids("PractitionerRole?organization.name=hub andino"
                        "&_include=PractitionerRole:practitioner") == [network["role"]["id"]]
        chained = list(modes)
        modes.clear()
        assert fhir.ids("PractitionerRole?date=ge2024-01-01") == [network["role"]["id"]]
        ranged = list(modes)
        modes.clear()
        assert fhir.get(f"Organization/{network['andes']['id']}").status_code == 200
        read = list(modes)
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    if postgres:
        assert chained == ["force_generic_plan"]  # the page with its _include targets
        assert set(ranged) == set(read) == {"auto"} and ranged and read
    else:
        assert chained == ranged == read == []


def test_approximate_dates_and_estimates_with_criteria(fhir: Fhir, network) -> None:
    role = [network["role"]["id"]]
    assert fhir.ids("PractitionerRole?date=ap2024-06") == role
    assert fhir.ids("PractitionerRole?date=ap2030") == []
    for i in range(3):
        fhir.create(org(f"Estimated {i}"))
    page = fhir.search("Organization?name=estimated&_count=1&_total=estimate")
    assert page["total"] >= 1 and len(page["entry"]) == 1


def test_count_maximum_and_totals(fhir: Fhir) -> None:
    for i in range(4):
        fhir.create(org(f"T{i}"))
    assert fhir.search("Organization?_summary=count") == {
        "resourceType": "Bundle", "type": "searchset", "total": 4,
        "link": fhir.search("Organization?_summary=count")["link"]}
    page = fhir.search("Organization?_count=2")
    assert "total" not in page  # default: no count query when more pages remain
    assert fhir.search("Organization?_count=2&_total=accurate")["total"] == 4
    assert fhir.search("Organization?_count=2&_total=estimate")["total"] >= 1
    assert fhir.search("Organization?_count=2&_total=none").get("total") is None
    assert len(fhir.search("Organization?_count=100000")["entry"]) == 4


def test_summary_and_elements(fhir: Fhir, network) -> None:
    entry = fhir.search("Organization?_elements=name&_count=1")["entry"][0]["resource"]
    assert set(entry) <= {"resourceType", "id", "meta", "name"}
    assert any(t["code"] == "SUBSETTED" for t in entry["meta"]["tag"])
    summary = fhir.search("Organization?_summary=true&_count=1")["entry"][0]["resource"]
    assert "name" in summary


def test_post_search_equals_get(fhir: Fhir, network) -> None:
    response = fhir.client.post("/fhir/Organization/_search", data={"name": "sao"},
                                headers={"Authorization": f"Bearer {fhir.token}"})
    assert response.status_code == 200
    assert [e["resource"]["id"] for e in response.json["entry"]] == [network["sao"]["id"]]


def test_deleted_resources_leave_the_index(fhir: Fhir, network) -> None:
    fhir.delete(f"Organization/{network['sao']['id']}")
    assert fhir.ids("Organization?name=sao") == []
    updated = {**network["andes"], "name": "Renamed Hub"}
    fhir.put(f"Organization/{updated['id']}", updated)
    assert fhir.ids("Organization?name=hub andino") == []
    assert fhir.ids("Organization?name=renamed") == [updated["id"]]


# ---- pages cut from the index tables (positive criteria, default sort) ----------------------


def _walk(fhir: Fhir, query: str) -> tuple[list[str], int | None]:
    """Every id across the pages of ``query``, and the total of the last page."""
    ids: list[str] = []
    page = fhir.search(query)
    while True:
        ids += [e["resource"]["id"] for e in page.get("entry", [])]
        nxt = [link["url"] for link in page["link"] if link["relation"] == "next"]
        if not nxt:
            return ids, page.get("total")
        page = fhir.search(nxt[0].split("/fhir/", 1)[1])


def test_index_pages_list_each_match_once_in_order_without_deleted_ones(fhir: Fhir) -> None:
    created = [fhir.create({"resourceType": "Practitioner", "name": [
        {"family": "Martin", "given": [f"A{i}"]}, {"family": "Martinez", "given": ["B"]}]})
        for i in range(7)]
    fhir.create({"resourceType": "Practitioner", "name": [{"family": "Other"}]})
    gone = created.pop(3)["id"]
    assert fhir.delete(f"Practitioner/{gone}").status_code == 204
    ids, total = _walk(fhir, "Practitioner?name=mart&_count=2")
    wanted = [c["id"] for c in created]
    assert sorted(ids) == sorted(wanted) and len(ids) == len(set(ids))  # once each, none deleted
    assert ids == [c["id"] for c in created]  # pk order: creation order
    assert total == len(wanted)
    updated = {**created[0], "name": [{"family": "Renamed"}]}
    assert fhir.put(f"Practitioner/{created[0]['id']}", updated).status_code == 200
    ids, _ = _walk(fhir, "Practitioner?name=mart&_count=50")
    assert ids == wanted[1:]  # the replaced version's index rows are gone


def test_an_index_page_reads_its_resources_joined_in_page_order(app: Flask,
                                                                fhir: Fhir) -> None:
    """On PostgreSQL the page's resources are joined to the pks cut from the index, so they
    are read in the page's order; ``pk IN (page)`` made the server de-duplicate the pks in a
    hash and sort the page's rows again (about a tenth of a 50-entry page's round trip at
    1M). The order and the rows themselves are checked by the test above."""
    for given in ("Ana", "Bea", "Cris"):
        fhir.create({"resourceType": "Practitioner", "name": [{"family": "Join",
                                                               "given": [given]}]})
    engine = app.extensions["registry.database"].engine
    with recorded_statements(engine) as executed:
        assert len(fhir.ids("Practitioner?name=join&_count=2")) == 2
    (page,) = resource_reads(executed)
    if engine.dialect.name == "postgresql":
        assert "JOIN resource ON resource.pk = page.resource_pk" in page
        assert page.rstrip().endswith("ORDER BY page.resource_pk")
        assert "resource.pk IN" not in page
    else:  # SQLite walks the pk list in order and stops at the page (``_index_page``)
        assert "JOIN resource" not in page


def test_index_pages_intersect_several_criteria(fhir: Fhir) -> None:
    both = fhir.create({"resourceType": "Practitioner", "name": [{"family": "Duo"}],
                        "gender": "female"})
    fhir.create({"resourceType": "Practitioner", "name": [{"family": "Duo"}], "gender": "male"})
    fhir.create({"resourceType": "Practitioner", "name": [{"family": "Solo"}],
                 "gender": "female"})
    ids, total = _walk(fhir, "Practitioner?name=duo&gender=female&_count=1")
    assert ids == [both["id"]] and total == 1


def test_self_link_shows_only_the_parameters_used(fhir: Fhir, network) -> None:
    bundle = fhir.search("Organization?name=sao&foo=1&_pretty=true&_format=json"
                         "&_contained=true&_sort=name")
    (url,) = [link["url"] for link in bundle["link"] if link["relation"] == "self"]
    query = url.split("?", 1)[1].split("&")
    assert sorted(p.split("=")[0] for p in query) == ["_count", "_offset", "_sort", "name"]
    ignored = {i["expression"][0] for e in bundle["entry"] if e["search"]["mode"] == "outcome"
               for i in e["resource"]["issue"]}
    assert ignored == {"foo", "_contained"}
