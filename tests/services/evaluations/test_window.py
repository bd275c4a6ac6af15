"""``$evaluation-window``: a hub's admin opens a pre or post window over the API and gets one
personal link per mentee; other callers are refused and bad input writes nothing."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from registry.services.programs.model import COHORT_PROGRAM
from registry.storage.tables import survey_link
from tests import factories as f
from tests.conftest import Fhir, make_token, system_service
from tests.services.evaluations.helpers import SUD, network


def body(cohort: str, phase: str = "pre", **extra: Any) -> dict[str, Any]:
    parameter: list[dict[str, Any]] = [
        {"name": "cohort", "valueReference": {"reference": cohort}},
        {"name": "phase", "valueCode": phase},
        {"name": "instrument", "valueCanonical": SUD}]
    parameter += [{"name": name, **value} for name, value in extra.items()]
    return {"resourceType": "Parameters", "parameter": parameter}


def window(caller: Fhir, net: dict[str, Any], payload: dict[str, Any]) -> Any:
    return caller.post(f"{net['program']}/$evaluation-window", payload)


def hub_admin(app: Flask, hub_id: str) -> Fhir:
    return Fhir(app.test_client(), make_token(app, "hub-admin",
                                              binding=f"Organization/{hub_id}"))


def stored_links(app: Flask) -> int:
    with system_service(app, write=False) as service:
        return len(list(service.ctx.conn.execute(survey_link.select())))


def test_a_hub_admin_opens_a_window_with_one_link_per_mentee(app: Flask, fhir: Fhir) -> None:
    net = network(fhir, mentees=3)
    answer = window(hub_admin(app, net["hub"]["id"]), net, body(net["cohort"], lang={
        "valueCode": "es"}))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.json["resourceType"] == "Parameters"
    links = [{p["name"]: p for p in link["part"]} for link in answer.json["parameter"]]
    assert [link["mentee"]["valueReference"]["reference"] for link in links] == [
        f"PractitionerRole/{r}" for r in net["roles"]]
    assert {link["lang"]["valueCode"] for link in links} == {"es"}
    client = app.test_client()
    for link in links:
        url = link["url"]["valueUrl"]
        assert url.startswith("http://registry.test/survey/")  # the configured base
        page = client.get(urlsplit(url).path)
        assert page.status_code == 200
        assert "Prueba de conocimientos" in page.get_data(as_text=True)
    assert stored_links(app) == 3


def test_the_operation_is_in_the_capability_statement(anonymous: Fhir) -> None:
    statement = anonymous.get("metadata").json
    (service,) = [r for r in statement["rest"][0]["resource"]
                  if r["type"] == "HealthcareService"]
    assert "evaluation-window" in {o["name"] for o in service["operation"]}


@pytest.mark.parametrize(("role", "status"), [
    ("other-hub-admin", 404), ("spoke-clinician", 403), ("national-program", 403),
    ("global-viewer", 404),  # an unpublished program is hidden from it
])
def test_who_may_not_open_a_window(app: Flask, fhir: Fhir, role: str, status: int) -> None:
    net = network(fhir, mentees=2)
    if role == "other-hub-admin":
        caller = hub_admin(app, fhir.create(f.hub("Other hub", ident="OTHER"))["id"])
    else:
        binding = {"spoke-clinician": f"Organization/{net['spoke']['id']}",
                   "national-program": "PE"}.get(role)
        caller = Fhir(app.test_client(), make_token(app, role, binding=binding))
    answer = window(caller, net, body(net["cohort"]))
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.json["resourceType"] == "OperationOutcome"
    assert stored_links(app) == 0
    refused = fhir.search("AuditEvent?outcome=4")
    assert any(e["resource"].get("entity", [{}])[0].get("what", {}).get("reference", "")
               .endswith(net["program"]) for e in refused["entry"])


def test_the_network_admin_may_open_a_window(fhir: Fhir) -> None:
    net = network(fhir, mentees=1)
    answer = window(fhir, net, body(net["cohort"], phase="post"))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert len(answer.json["parameter"]) == 1


def bad_inputs(fhir: Fhir, net: dict[str, Any]) -> dict[str, tuple[dict[str, Any], int]]:
    other = fhir.create(f.program("Other program", f"Organization/{net['hub']['id']}"))
    foreign = fhir.create({
        "resourceType": "Group", "type": "practitioner", "actual": True,
        "managingEntity": {"reference": f"Organization/{net['hub']['id']}"},
        "extension": [{"url": COHORT_PROGRAM,
                       "valueReference": {"reference": f"HealthcareService/{other['id']}"}}],
        "member": [{"entity": {"reference": f"PractitionerRole/{net['roles'][0]}"}}]})
    cohort = net["cohort"]
    return {
        "unknown cohort": (body("Group/no-such-cohort"), 422),
        "cohort of another program": (body(f"Group/{foreign['id']}"), 422),
        "bad phase": (body(cohort, phase="during"), 400),
        "closes in the past": (body(cohort, closes={"valueDate": "2020-01-01"}), 400),
        "closes not a date": (body(cohort, closes={"valueDate": "soon"}), 400),
        "unknown language": (body(cohort, lang={"valueCode": "de"}), 400),
        "unknown parameter": (body(cohort, colour={"valueCode": "red"}), 400),
        "no cohort": ({"resourceType": "Parameters",
                       "parameter": [{"name": "phase", "valueCode": "pre"}]}, 400),
        "not Parameters": ({"resourceType": "Basic"}, 400),
    }


def test_bad_input_writes_nothing(app: Flask, fhir: Fhir) -> None:
    net = network(fhir, mentees=2)
    caller = hub_admin(app, net["hub"]["id"])
    for case, (payload, status) in bad_inputs(fhir, net).items():
        answer = window(caller, net, payload)
        assert answer.status_code == status, (case, answer.get_data(as_text=True))
        assert answer.json["resourceType"] == "OperationOutcome", case
    assert stored_links(app) == 0
