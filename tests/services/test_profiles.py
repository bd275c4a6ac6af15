"""The profile engine: every rule of every shipped profile refuses a violating resource with an
issue naming the element, conforming resources pass, and profiles are chosen by claim or kind."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from registry.errors import Issue
from registry.services.profiles import catalog, check, profiles_for

BASE = "https://telementoring.example.org/fhir"
SD = f"{BASE}/StructureDefinition"
CS = f"{BASE}/CodeSystem"
KIND = f"{CS}/organization-kind"
COUNTRY_EXT = f"{SD}/network-country"
SETTLEMENT_EXT = f"{SD}/settlement"


def _org(rid: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Organization", "id": rid, "active": True,
            "identifier": [{"system": f"{BASE}/sid/organization", "value": rid.upper()}],
            "type": [{"coding": [{"system": KIND, "code": kind}]}], "name": f"{rid} (test)",
            "address": [{"city": "Salta", "state": "Salta", "country": "AR"}], **extra}


NATIONAL = _org("np", "national-program")
HUB = _org("hub", "hub", partOf={"reference": "Organization/np"})
SPOKE = _org("spoke", "spoke", partOf={"reference": "Organization/hub"})
PROGRAM_REF = {"reference": "HealthcareService/program"}
FIXTURES: dict[str, dict[str, Any]] = {
    "national": NATIONAL,
    "hub": HUB,
    "spoke": SPOKE,
    "site": {
        "resourceType": "Location", "id": "site", "status": "active", "name": "Sede (test)",
        "extension": [{"url": SETTLEMENT_EXT,
                       "valueCoding": {"system": f"{CS}/settlement", "code": "rural"}}],
        "address": {"city": "Cafayate", "state": "Salta", "country": "AR"},
        "position": {"latitude": -26.07, "longitude": -65.98},
        "managingOrganization": {"reference": "Organization/spoke"}},
    "affiliation": {
        "resourceType": "OrganizationAffiliation", "id": "aff", "active": True,
        "extension": [{"url": COUNTRY_EXT, "valueCode": "AR"}],
        "period": {"start": "2024-02-01"}, "organization": {"reference": "Organization/hub"},
        "participatingOrganization": {"reference": "Organization/spoke"}},
    "role": {
        "resourceType": "PractitionerRole", "id": "role", "active": True,
        "extension": [{"url": COUNTRY_EXT, "valueCode": "AR"}],
        "practitioner": {"reference": "Practitioner/p1"},
        "organization": {"reference": "Organization/hub"},
        "code": [{"coding": [{"system": f"{CS}/program-role", "code": "tutor"}]}],
        "specialty": [{"coding": [{"system": f"{CS}/discipline", "code": "psychiatry"}]}],
        "healthcareService": [PROGRAM_REF]},
    "program": {
        "resourceType": "HealthcareService", "id": "program", "active": True,
        "extension": [{"url": COUNTRY_EXT, "valueCode": "AR"}],
        "providedBy": {"reference": "Organization/hub"}, "name": "Adicciones (test)",
        "type": [{"coding": [{"system": f"{CS}/program-topic",
                              "code": "substance-use-disorders"}]}],
        "communication": [{"coding": [{"system": "urn:ietf:bcp:47", "code": "es-AR"}]}],
        "availableTime": [{"daysOfWeek": ["wed"], "availableStartTime": "14:00:00",
                           "availableEndTime": "15:30:00"}]},
    "endpoint": {
        "resourceType": "Endpoint", "id": "node", "status": "active", "name": "Node (test)",
        "connectionType": {"system": "http://terminology.hl7.org/CodeSystem/"
                                     "endpoint-connection-type", "code": "hl7-fhir-rest"},
        "payloadType": [{"text": "any"}], "address": "https://node.example.org/fhir",
        "managingOrganization": {"reference": "Organization/hub"}},
    "session": {
        "resourceType": "Encounter", "id": "session", "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR"},
        "extension": [{"url": f"{SD}/session-program", "valueReference": PROGRAM_REF}],
        "serviceType": {"coding": [{"system": f"{CS}/program-topic",
                                    "code": "substance-use-disorders"}]},
        "period": {"start": "2026-11-05T18:00:00Z", "end": "2026-11-05T19:30:00Z"},
        "participant": [{"type": [{"coding": [{"system": f"{CS}/program-role",
                                               "code": "tutor"}]}],
                         "individual": {"reference": "PractitionerRole/role"}}]},
    "answer": {
        "resourceType": "Communication", "id": "answer", "status": "completed",
        "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "11429006"}]}],
        "basedOn": [{"reference": "ServiceRequest/question"}],
        "about": [{"reference": "ServiceRequest/question"}], "sent": "2027-03-01T16:30:00Z",
        "recipient": [{"reference": "PractitionerRole/presenter"}],
        "sender": {"reference": "PractitionerRole/role"},
        "payload": [{"contentString": "Lower the dose and review in a week."}]},
    "recommendation": {
        "resourceType": "Communication", "id": "advice", "status": "completed",
        "about": [{"reference": "Composition/case"}],
        "encounter": {"reference": "Encounter/session"},
        "sender": {"reference": "PractitionerRole/role"},
        "recipient": [{"reference": "PractitionerRole/presenter"}],
        "payload": [{"contentString": "Start acamprosate."}]},
}
STORE = {"Organization/np": NATIONAL, "Organization/hub": HUB, "Organization/spoke": SPOKE,
         "Organization/other": {"resourceType": "Organization", "id": "other", "name": "Plain"},
         "HealthcareService/program": FIXTURES["program"],
         "Encounter/session": FIXTURES["session"]}


def resolve(reference: str) -> dict[str, Any] | None:
    return STORE.get(reference)


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_conforming_fixture_passes(name: str) -> None:
    resource = FIXTURES[name]
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    assert profiles_for(resource, resolve), "a network resource must select a profile"
    assert check(resource) == []
    assert check(resource, resolve) == []


# --- one violation per profile rule -----------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def drop(*path: str | int) -> Mutation:
    def mutate(resource: dict[str, Any]) -> None:
        node: Any = resource
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]
    return mutate


def put(value: Any, *path: str | int) -> Mutation:
    def mutate(resource: dict[str, Any]) -> None:
        node: Any = resource
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
    return mutate


def claim(profile: str, then: Mutation) -> Mutation:
    def mutate(resource: dict[str, Any]) -> None:
        resource["meta"] = {"profile": [f"{SD}/{profile}"]}
        then(resource)
    return mutate


def twice(*path: str) -> Mutation:
    """Duplicate the first extension (at ``path``, a list) to break a max of 1."""
    def mutate(resource: dict[str, Any]) -> None:
        node: Any = resource
        for step in path:
            node = node[step]
        node.append(copy.deepcopy(node[0]))
    return mutate


def coding(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


ORGANIZATION_RULES = [
    ("identifier", drop("identifier"), "Organization.identifier", "required"),
    ("active", drop("active"), "Organization.active", "required"),
    ("type", put([coding(KIND, "hubx")], "type"), "Organization.type[0]", "code-invalid"),
    ("name", drop("name"), "Organization.name", "required"),
    ("address", drop("address"), "Organization.address", "required"),
    ("address.country", drop("address", 0, "country"), "Organization.address[0].country",
     "required"),
]
# (fixture, profile, element, mutation, expected expression, expected issue code)
CASES: list[tuple[str, str, str, Mutation, str, str]] = [
    *[("hub", "network-organization", element, mutation, expr, code)
      for element, mutation, expr, code in ORGANIZATION_RULES],
    ("hub", "network-organization", "address.country", put("Argentina", "address", 0, "country"),
     "Organization.address[0].country", "code-invalid"),
    ("spoke", "network-organization", "address.country", put("ARG", "address", 0, "country"),
     "Organization.address[0].country", "code-invalid"),
    ("hub", "hub-organization", "type",
     claim("hub-organization", put([coding(KIND, "spoke")], "type")), "Organization.type[0]",
     "value"),
    ("hub", "hub-organization", "partOf", put({"reference": "Location/x"}, "partOf"),
     "Organization.partOf.reference", "value"),
    ("hub", "hub-organization", "partOf", put({"reference": "Organization/hub"}, "partOf"),
     "Organization.partOf.reference", "value"),
    ("spoke", "spoke-organization", "type",
     claim("spoke-organization", put([coding(KIND, "hub")], "type")), "Organization.type[0]",
     "value"),
    ("spoke", "spoke-organization", "partOf", drop("partOf"), "Organization.partOf", "required"),
    ("spoke", "spoke-organization", "partOf", put({"reference": "Organization/np"}, "partOf"),
     "Organization.partOf.reference", "value"),
    ("spoke", "spoke-organization", "partOf", put({"display": "Hub"}, "partOf"),
     "Organization.partOf.reference", "required"),
    ("national", "national-program-organization", "type",
     claim("national-program-organization", put([coding(KIND, "hub")], "type")),
     "Organization.type[0]", "value"),
    ("site", "spoke-site-location", "extension:settlement",
     claim("spoke-site-location", drop("extension")),
     f"Location.extension('{SETTLEMENT_EXT}')", "required"),
    ("site", "spoke-site-location", "extension:settlement", twice("extension"),
     "Location.extension[1]", "structure"),
    ("site", "spoke-site-location", "status", drop("status"), "Location.status", "required"),
    ("site", "spoke-site-location", "name", drop("name"), "Location.name", "required"),
    ("site", "spoke-site-location", "address", drop("address"), "Location.address", "required"),
    ("site", "spoke-site-location", "address.state", drop("address", "state"),
     "Location.address.state", "required"),
    ("site", "spoke-site-location", "address.country", drop("address", "country"),
     "Location.address.country", "required"),
    ("site", "spoke-site-location", "address.country", put("ZZ", "address", "country"),
     "Location.address.country", "code-invalid"),
    ("site", "spoke-site-location", "position", drop("position"), "Location.position",
     "required"),
    ("site", "spoke-site-location", "managingOrganization", drop("managingOrganization"),
     "Location.managingOrganization", "required"),
    ("site", "spoke-site-location", "managingOrganization",
     put({"reference": "Organization/hub"}, "managingOrganization"),
     "Location.managingOrganization.reference", "value"),
    ("site", "settlement", "value[x]",
     put({"system": f"{CS}/settlement", "code": "suburban"}, "extension", 0, "valueCoding"),
     "Location.extension[0].value", "code-invalid"),
    ("site", "settlement", "value[x]", drop("extension", 0, "valueCoding"),
     "Location.extension[0].value", "required"),
    ("site", "settlement", "extension",
     put([{"url": "x", "valueString": "y"}], "extension", 0, "extension"),
     "Location.extension[0].extension[0]", "structure"),
    ("affiliation", "hub-spoke-affiliation", "extension:country", twice("extension"),
     "OrganizationAffiliation.extension[1]", "structure"),
    ("affiliation", "network-country", "value[x]", put("Uruguay", "extension", 0, "valueCode"),
     "OrganizationAffiliation.extension[0].value", "code-invalid"),
    ("affiliation", "hub-spoke-affiliation", "active", drop("active"),
     "OrganizationAffiliation.active", "required"),
    ("affiliation", "hub-spoke-affiliation", "period", drop("period"),
     "OrganizationAffiliation.period", "required"),
    ("affiliation", "hub-spoke-affiliation", "period.start",
     put({"end": "2025-01-01"}, "period"), "OrganizationAffiliation.period.start", "required"),
    ("affiliation", "hub-spoke-affiliation", "organization", drop("organization"),
     "OrganizationAffiliation.organization", "required"),
    ("affiliation", "hub-spoke-affiliation", "organization",
     put({"reference": "Organization/spoke"}, "organization"),
     "OrganizationAffiliation.organization.reference", "value"),
    ("affiliation", "hub-spoke-affiliation", "participatingOrganization",
     drop("participatingOrganization"), "OrganizationAffiliation.participatingOrganization",
     "required"),
    ("affiliation", "hub-spoke-affiliation", "participatingOrganization",
     put({"reference": "Organization/hub"}, "participatingOrganization"),
     "OrganizationAffiliation.participatingOrganization.reference", "value"),
    ("role", "program-practitioner-role", "extension:country", twice("extension"),
     "PractitionerRole.extension[1]", "structure"),
    ("role", "program-practitioner-role", "active", drop("active"), "PractitionerRole.active",
     "required"),
    ("role", "program-practitioner-role", "practitioner", drop("practitioner"),
     "PractitionerRole.practitioner", "required"),
    ("role", "program-practitioner-role", "practitioner",
     put({"reference": "Patient/p1"}, "practitioner"),
     "PractitionerRole.practitioner.reference", "value"),
    ("role", "program-practitioner-role", "organization", drop("organization"),
     "PractitionerRole.organization", "required"),
    ("role", "program-practitioner-role", "organization",
     put({"reference": "Organization/other"}, "organization"),
     "PractitionerRole.organization.reference", "value"),
    ("role", "program-practitioner-role", "code", drop("code"), "PractitionerRole.code",
     "required"),
    ("role", "program-practitioner-role", "code",
     put([coding(f"{CS}/program-role", "tutor"),
          coding("http://terminology.hl7.org/CodeSystem/practitioner-role", "doctor")], "code"),
     "PractitionerRole.code[1]", "code-invalid"),
    ("role", "program-practitioner-role", "specialty", drop("specialty"),
     "PractitionerRole.specialty", "required"),
    ("role", "program-practitioner-role", "specialty",
     put([{"text": "Psychiatry"}], "specialty"), "PractitionerRole.specialty[0]",
     "code-invalid"),
    ("role", "program-practitioner-role", "healthcareService",
     put([PROGRAM_REF, {"reference": "Organization/hub"}], "healthcareService"),
     "PractitionerRole.healthcareService[1].reference", "value"),
    ("program", "program-healthcare-service", "extension:country", twice("extension"),
     "HealthcareService.extension[1]", "structure"),
    ("program", "program-healthcare-service", "active", drop("active"),
     "HealthcareService.active", "required"),
    ("program", "program-healthcare-service", "providedBy", drop("providedBy"),
     "HealthcareService.providedBy", "required"),
    ("program", "program-healthcare-service", "providedBy",
     put({"reference": "Organization/spoke"}, "providedBy"),
     "HealthcareService.providedBy.reference", "value"),
    ("program", "program-healthcare-service", "type", drop("type"), "HealthcareService.type",
     "required"),
    ("program", "program-healthcare-service", "type",
     put([coding(f"{CS}/program-topic", "astrology")], "type"), "HealthcareService.type[0]",
     "code-invalid"),
    ("program", "program-healthcare-service", "name", drop("name"), "HealthcareService.name",
     "required"),
    ("program", "program-healthcare-service", "communication", drop("communication"),
     "HealthcareService.communication", "required"),
    ("program", "program-healthcare-service", "communication",
     put([coding("urn:ietf:bcp:47", "es"), coding("urn:ietf:bcp:47", "espanol")],
         "communication"), "HealthcareService.communication[1]", "code-invalid"),
    ("program", "program-healthcare-service", "availableTime", drop("availableTime"),
     "HealthcareService.availableTime", "required"),
    ("program", "program-healthcare-service", "availableTime.daysOfWeek",
     drop("availableTime", 0, "daysOfWeek"), "HealthcareService.availableTime[0].daysOfWeek",
     "required"),
    ("program", "program-healthcare-service", "availableTime.availableStartTime",
     drop("availableTime", 0, "availableStartTime"),
     "HealthcareService.availableTime[0].availableStartTime", "required"),
    ("program", "program-healthcare-service", "availableTime.availableEndTime",
     drop("availableTime", 0, "availableEndTime"),
     "HealthcareService.availableTime[0].availableEndTime", "required"),
    ("endpoint", "peer-node-endpoint", "status", drop("status"), "Endpoint.status", "required"),
    ("endpoint", "peer-node-endpoint", "connectionType",
     put({"system": "http://terminology.hl7.org/CodeSystem/endpoint-connection-type",
          "code": "direct-project"}, "connectionType"), "Endpoint.connectionType", "value"),
    ("endpoint", "peer-node-endpoint", "name", drop("name"), "Endpoint.name", "required"),
    ("endpoint", "peer-node-endpoint", "managingOrganization", drop("managingOrganization"),
     "Endpoint.managingOrganization", "required"),
    ("endpoint", "peer-node-endpoint", "managingOrganization",
     put({"reference": "Organization/spoke"}, "managingOrganization"),
     "Endpoint.managingOrganization.reference", "value"),
    ("endpoint", "peer-node-endpoint", "address", drop("address"), "Endpoint.address",
     "required"),
    ("session", "telementoring-session", "extension:program", drop("extension"),
     f"Encounter.extension('{SD}/session-program')", "required"),
    ("session", "telementoring-session", "status", drop("status"), "Encounter.status",
     "required"),
    ("session", "telementoring-session", "class",
     put({"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
         "class"), "Encounter.class", "value"),
    ("session", "telementoring-session", "serviceType", drop("serviceType"),
     "Encounter.serviceType", "required"),
    ("session", "telementoring-session", "serviceType",
     put({"coding": [{"system": f"{CS}/program-topic", "code": "astrology"}]}, "serviceType"),
     "Encounter.serviceType", "code-invalid"),
    ("session", "telementoring-session", "subject", put({"reference": "Patient/p"}, "subject"),
     "Encounter.subject", "structure"),
    ("session", "telementoring-session", "period", drop("period"), "Encounter.period",
     "required"),
    ("session", "telementoring-session", "period.start", drop("period", "start"),
     "Encounter.period.start", "required"),
    ("session", "telementoring-session", "participant.type", drop("participant", 0, "type"),
     "Encounter.participant[0].type", "required"),
    ("session", "telementoring-session", "participant.individual",
     drop("participant", 0, "individual"), "Encounter.participant[0].individual", "required"),
    ("session", "telementoring-session", "participant.individual",
     put({"reference": "Organization/hub"}, "participant", 0, "individual"),
     "Encounter.participant[0].individual.reference", "value"),
    ("recommendation", "case-recommendation", "status", put("in-progress", "status"),
     "Communication.status", "value"),
    ("recommendation", "case-recommendation", "subject",
     put({"reference": "Patient/p"}, "subject"), "Communication.subject", "structure"),
    ("recommendation", "case-recommendation", "about", drop("about"), "Communication.about",
     "required"),
    ("recommendation", "case-recommendation", "about",
     put([{"reference": "Organization/hub"}], "about"), "Communication.about[0].reference",
     "value"),
    ("recommendation", "case-recommendation", "encounter", drop("encounter"),
     "Communication.encounter", "required"),
    ("recommendation", "case-recommendation", "encounter",
     put({"reference": "Organization/hub"}, "encounter"), "Communication.encounter.reference",
     "value"),
    ("recommendation", "case-recommendation", "recipient", drop("recipient"),
     "Communication.recipient", "required"),
    ("recommendation", "case-recommendation", "sender",
     put({"reference": "Organization/hub"}, "sender"), "Communication.sender.reference",
     "value"),
    ("recommendation", "case-recommendation", "payload", drop("payload"),
     "Communication.payload", "required"),
    ("recommendation", "case-recommendation", "payload.contentString",
     put([{"contentReference": {"reference": "Composition/case"}}], "payload"),
     "Communication.payload[0].contentString", "required"),
    ("answer", "consultation-answer", "status", put("in-progress", "status"),
     "Communication.status", "value"),
    ("answer", "consultation-answer", "subject", put({"reference": "Patient/p"}, "subject"),
     "Communication.subject", "structure"),
    ("answer", "consultation-answer", "basedOn", drop("basedOn"), "Communication.basedOn",
     "required"),
    ("answer", "consultation-answer", "about",
     put([{"reference": "Composition/case"}], "about"), "Communication.about[0].reference",
     "value"),
    ("answer", "consultation-answer", "sent", drop("sent"), "Communication.sent", "required"),
    ("answer", "consultation-answer", "recipient", drop("recipient"), "Communication.recipient",
     "required"),
    ("answer", "consultation-answer", "sender",
     put({"reference": "Organization/hub"}, "sender"), "Communication.sender.reference",
     "value"),
    ("answer", "consultation-answer", "payload", drop("payload"), "Communication.payload",
     "required"),
    ("answer", "consultation-answer", "payload.contentString",
     put([{"contentReference": {"reference": "Composition/case"}}], "payload"),
     "Communication.payload[0].contentString", "required"),
]


def _case_id(case: tuple) -> str:
    fixture, profile, element, _, expression, code = case
    return f"{profile}:{element}:{code}:{expression}"


def _has(issues: list[Issue], expression: str, code: str) -> bool:
    return any(i.expression == (expression,) and i.code == code and i.severity == "error"
               for i in issues)


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_violation_is_refused_naming_the_element(case: tuple) -> None:
    fixture, _, _, mutate, expression, code = case
    resource = copy.deepcopy(FIXTURES[fixture])
    mutate(resource)
    issues = check(resource, resolve)
    assert _has(issues, expression, code), issues
    assert all(i.diagnostics for i in issues)


def test_every_profile_rule_has_a_violation_case() -> None:
    """Guard: adding a rule to a profile without a test for it fails here."""
    covered = {(profile, element) for _, profile, element, *_ in CASES}
    covered |= {("network-country", "url"), ("settlement", "url"), ("session-program", "url"),
                ("network-country", "extension"), ("session-program", "extension"),
                ("session-program", "value[x]")}  # tested below, outside any resource
    rules = set()
    for profile in catalog().profiles.values():
        for rule in profile.rules:
            name = profile.url.rsplit("/", 1)[-1]
            element = rule.element
            if rule.extension_url:
                element = f"extension:{_slice_name(profile.url, rule.extension_url)}"
            rules.add((name, element))
    assert rules - covered == set()


def _slice_name(profile_url: str, extension_url: str) -> str:
    sd = next(r for r in catalog().resources if r["url"] == profile_url)
    return next(e["sliceName"] for e in sd["differential"]["element"]
                if e.get("type", [{}])[0].get("profile") == [extension_url])


def test_extension_definitions_check_url_nesting_and_value() -> None:
    from registry.services.profiles.paths import Node
    from registry.services.profiles.rules import Context, evaluate

    ctx = Context(catalog(), resolve)

    def issues(url: str, extension: dict[str, Any]) -> list[Issue]:
        node = Node("Encounter.extension[0]", extension)
        return [i for p in catalog().lineage(url) for r in p.rules for i in evaluate(r, node, ctx)]

    program = f"{SD}/session-program"
    good = {"url": program, "valueReference": {"reference": "HealthcareService/program"}}
    assert issues(program, good) == []
    assert _has(issues(program, {**good, "url": "x"}), "Encounter.extension[0].url", "value")
    assert _has(issues(program, {"url": program}), "Encounter.extension[0].value", "required")
    assert _has(issues(program, {**good, "valueReference": {"reference": "Organization/hub"}}),
                "Encounter.extension[0].value.reference", "value")
    assert _has(issues(program, {**good, "extension": [good]}),
                "Encounter.extension[0].extension[0]", "structure")
    country = f"{SD}/network-country"
    assert _has(issues(country, {"url": "y", "valueCode": "AR"}), "Encounter.extension[0].url",
                "value")
    assert _has(issues(country, {"url": country, "valueCode": "AR", "extension": [{"url": "z"}]}),
                "Encounter.extension[0].extension[0]", "structure")
    settlement = f"{SD}/settlement"
    assert _has(issues(settlement, {"url": "s", "valueCoding": {
        "system": f"{CS}/settlement", "code": "rural"}}), "Encounter.extension[0].url", "value")


# --- choosing profiles ------------------------------------------------------------------------


def test_kind_selects_the_profile_without_a_claim() -> None:
    assert profiles_for(HUB) == [f"{SD}/hub-organization"]
    assert profiles_for(SPOKE) == [f"{SD}/spoke-organization"]
    assert profiles_for(NATIONAL) == [f"{SD}/national-program-organization"]
    assert profiles_for(FIXTURES["endpoint"]) == [f"{SD}/peer-node-endpoint"]


def test_a_claim_that_covers_the_kind_is_not_checked_twice() -> None:
    claimed = {**HUB, "meta": {"profile": [f"{SD}/hub-organization|0.1.0"]}}
    assert profiles_for(claimed) == [f"{SD}/hub-organization"]
    assert check(claimed, resolve) == []


def test_claiming_only_the_base_profile_still_checks_the_kind() -> None:
    claimed = {**SPOKE, "meta": {"profile": [f"{SD}/network-organization"]}}
    claimed.pop("partOf")
    assert profiles_for(claimed) == [f"{SD}/network-organization", f"{SD}/spoke-organization"]
    assert _has(check(claimed), "Organization.partOf", "required")


def test_unknown_claimed_network_profile_is_an_error() -> None:
    resource = {**HUB, "meta": {"profile": [f"{SD}/hub-organization", f"{SD}/no-such"]}}
    issues = check(resource)
    assert _has(issues, "Organization.meta.profile[1]", "not-supported")
    assert len(issues) == 1


def test_outside_profile_claims_are_accepted_and_kind_still_checked() -> None:
    mcsd = "https://profiles.ihe.net/ITI/mCSD/StructureDefinition/IHE.mCSD.Organization"
    assert check({**HUB, "meta": {"profile": [mcsd]}}) == []
    broken = {**HUB, "meta": {"profile": [mcsd]}}
    broken.pop("name")
    assert _has(check(broken), "Organization.name", "required")


def test_profile_of_another_type_is_an_error() -> None:
    resource = {**FIXTURES["site"], "meta": {"profile": [f"{SD}/hub-organization"]}}
    assert _has(check(resource), "Location.meta.profile[0]", "invalid")


def test_resources_outside_the_network_are_not_profiled() -> None:
    assert check({"resourceType": "Practitioner", "id": "p"}) == []
    assert check({"resourceType": "Organization", "name": "Some clinic"}) == []
    plain_location = {"resourceType": "Location", "name": "Ward",
                      "managingOrganization": {"reference": "Organization/other"}}
    assert check(plain_location, resolve) == []


def test_location_managed_by_a_spoke_is_a_spoke_site_once_resolved() -> None:
    site = copy.deepcopy(FIXTURES["site"])
    del site["extension"]
    assert check(site) == []  # nothing says it is a network site
    assert _has(check(site, resolve), f"Location.extension('{SETTLEMENT_EXT}')", "required")


def test_reference_targets_are_checked_only_when_they_resolve() -> None:
    spoke = {**SPOKE, "partOf": {"reference": "Organization/unknown"}}
    assert check(spoke, resolve) == []
    local = "urn:uuid:8d2c0a4e-0000-4000-8000-000000000001"
    bundle_local = {**SPOKE, "partOf": {"reference": local}}
    assert check(bundle_local, resolve) == []
    absolute = {**SPOKE, "partOf": {"reference": "https://peer.example.org/fhir/Organization/hub"}}
    assert check(absolute) == []
    wrong_type = {**SPOKE, "partOf": {"reference": "https://peer.example.org/fhir/Location/1"}}
    assert _has(check(wrong_type), "Organization.partOf.reference", "value")


def test_several_issues_are_reported_at_once() -> None:
    hub = copy.deepcopy(HUB)
    del hub["name"]
    hub["address"].append({"country": "XX"})
    issues = check(hub)
    assert _has(issues, "Organization.name", "required")
    assert _has(issues, "Organization.address[1].country", "code-invalid")
    assert len(issues) == len(set(issues))


def test_a_resource_without_a_type_is_refused() -> None:
    assert _has(check({"id": "x"}), "resourceType", "structure")


def test_shipped_structure_definitions_validate_as_r4b() -> None:
    resources = catalog().resources
    assert len(resources) == len(catalog().profiles) >= 12
    for sd in resources:
        get_fhir_model_class("StructureDefinition").model_validate(sd)
        assert sd["url"] == f"{SD}/{sd['id']}"
