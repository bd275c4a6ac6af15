"""Valid network resources for tests, shaped by the network's profiles."""

from __future__ import annotations

from typing import Any

BASE = "https://telementoring.example.org/fhir"
KIND = f"{BASE}/CodeSystem/organization-kind"
ROLE = f"{BASE}/CodeSystem/program-role"
DISCIPLINE = f"{BASE}/CodeSystem/discipline"
TOPIC = f"{BASE}/CodeSystem/program-topic"
SETTLEMENT = f"{BASE}/CodeSystem/settlement"
COUNTRY_EXT = f"{BASE}/StructureDefinition/network-country"
SETTLEMENT_EXT = f"{BASE}/StructureDefinition/settlement"
ORG_ID = f"{BASE}/sid/organization"


def hub(name: str, country: str = "PE", ident: str | None = None, **extra: Any) -> dict:
    return {"resourceType": "Organization", "active": True, "name": name,
            "identifier": [{"system": ORG_ID, "value": ident or name.upper()[:12]}],
            "type": [{"coding": [{"system": KIND, "code": "hub"}], "text": "hub site"}],
            "address": [{"country": country}], **extra}


def spoke(name: str, hub_ref: str, country: str = "PE", ident: str | None = None,
          **extra: Any) -> dict:
    return {"resourceType": "Organization", "active": True, "name": name,
            "identifier": [{"system": ORG_ID, "value": ident or name.upper()[:12]}],
            "type": [{"coding": [{"system": KIND, "code": "spoke"}], "text": "spoke site"}],
            "address": [{"country": country, "state": "Cusco"}],
            "partOf": {"reference": hub_ref}, **extra}


def site(name: str, spoke_ref: str, lat: float, lon: float, settlement: str = "rural",
         country: str = "PE", state: str = "Cusco") -> dict:
    return {"resourceType": "Location", "status": "active", "name": name, "mode": "instance",
            "extension": [{"url": SETTLEMENT_EXT,
                           "valueCoding": {"system": SETTLEMENT, "code": settlement}}],
            "address": {"country": country, "state": state},
            "position": {"latitude": lat, "longitude": lon},
            "managingOrganization": {"reference": spoke_ref}}


def affiliation(hub_ref: str, spoke_ref: str, country: str = "PE") -> dict:
    return {"resourceType": "OrganizationAffiliation", "active": True,
            "extension": [{"url": COUNTRY_EXT, "valueCode": country}],
            "period": {"start": "2024-01-01"},
            "organization": {"reference": hub_ref},
            "participatingOrganization": {"reference": spoke_ref}}


def practitioner(family: str, given: str = "Ana") -> dict:
    return {"resourceType": "Practitioner", "active": True,
            "name": [{"family": family, "given": [given]}]}


def role(practitioner_ref: str, org_ref: str, code: str = "tutor",
         discipline: str = "psychiatry", country: str = "PE", **extra: Any) -> dict:
    return {"resourceType": "PractitionerRole", "active": True,
            "extension": [{"url": COUNTRY_EXT, "valueCode": country}],
            "practitioner": {"reference": practitioner_ref},
            "organization": {"reference": org_ref},
            "code": [{"coding": [{"system": ROLE, "code": code}]}],
            "specialty": [{"coding": [{"system": DISCIPLINE, "code": discipline}]}], **extra}


def program(name: str, hub_ref: str, topic: str = "substance-use-disorders",
            languages: tuple[str, ...] = ("es",), country: str = "PE") -> dict:
    return {"resourceType": "HealthcareService", "active": True, "name": name,
            "extension": [{"url": COUNTRY_EXT, "valueCode": country}],
            "providedBy": {"reference": hub_ref},
            "type": [{"coding": [{"system": TOPIC, "code": topic}]}],
            "communication": [{"coding": [{"system": "urn:ietf:bcp:47", "code": lang}]}
                              for lang in languages],
            "availableTime": [{"daysOfWeek": ["wed"], "availableStartTime": "14:00:00",
                               "availableEndTime": "15:30:00"}]}
