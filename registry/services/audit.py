"""The audit trail: FHIR AuditEvents for writes, case-level reads, refusals and failed sign-ins.

A write's event is part of the write itself: the audit step of the write pipeline
(``registry.services.writes.audit``) adds it to the batch it records, so it is stored in the
same statements and transaction, a rolled-back write leaves no "success" behind, and it costs
no second pass.
Services *record* every other event on the unit of work's ``AuditTrail``; the unit of work
(``registry.services.unit``) stores them with a committing write, or after a read or a failure
in a transaction of its own (the documented exception to "one transaction per request").

AuditEvents are stored by the pipeline's persist step directly, never through the API: the
policy refuses every create, update, patch and delete of AuditEvent, so the trail is
append-only. They name who (token id, name, role and binding), what (references, and the query
string of a search), when, from where (client address) and the outcome
(``0`` success, ``4`` refused by policy or limits, ``8`` authentication failed). Tokens and
resource bodies are never part of them.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from registry.services.caller import Caller
from registry.storage.rows import Stored
from registry.storage.values import instant

SUCCESS, REFUSED, AUTHENTICATION_FAILED = "0", "4", "8"
FAILED = "8"  # a sync that could not apply a record or a page
ITI_91 = ("urn:ihe:event-type-code", "ITI-91")
TOKEN_SYSTEM = "https://telementoring.example.org/fhir/sid/access-token"
COUNTRY_SYSTEM = "urn:iso:std:iso:3166"
ROLE_SYSTEM = "https://telementoring.example.org/fhir/CodeSystem/network-role"
REST = {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest",
        "display": "RESTful Operation"}
LOGIN = {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110114",
         "display": "User Authentication"}
INTERACTION_SYSTEM = "http://hl7.org/fhir/restful-interaction"
LIFECYCLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/dicom-audit-lifecycle"
ENTITY_TYPE = {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
               "code": "2", "display": "System Object"}
SOURCE_TYPE = {"system": "http://terminology.hl7.org/CodeSystem/security-source-type",
               "code": "3", "display": "Web Server"}
ACTION = {"create": "C", "read": "R", "vread": "R", "update": "U", "patch": "U", "delete": "D",
          "history-instance": "R", "history-type": "R", "history-system": "R"}
LIFECYCLE = {"POST": "1", "PUT": "3", "PATCH": "3", "DELETE": "14", "READ": "6"}
INTERACTION_OF_METHOD = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


@dataclass(frozen=True)
class AuditEntity:
    reference: str | None = None  # Type/id or Type/id/_history/n
    lifecycle: str | None = None  # dicom-audit-lifecycle code
    query: str | None = None  # a search's query string (never a body)


@dataclass(frozen=True)
class AuditRecord:
    interaction: str  # restful-interaction code, or "login"
    outcome: str
    caller: Caller | None
    address: str | None
    entities: tuple[AuditEntity, ...] = ()
    description: str | None = None
    recorded: int = field(default_factory=lambda: time.time_ns() // 1000)
    subtypes: tuple[tuple[str, str], ...] = ()  # (system, code) beside the interaction


@dataclass
class AuditTrail:
    """Events recorded during one request or command, waiting for their transaction."""

    records: list[AuditRecord] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        return bool(self.records)

    def refused(self, caller: Caller | None, interaction: str, reason: str,
                references: Iterable[str] = (), query: str | None = None) -> None:
        entities = tuple(AuditEntity(ref) for ref in references)
        if query is not None:
            entities += (AuditEntity(query=query),)
        self.records.append(AuditRecord(interaction, REFUSED, caller, _address(caller),
                                        entities, reason))

    def authentication_failed(self, address: str | None, reason: str) -> None:
        self.records.append(AuditRecord("login", AUTHENTICATION_FAILED, None, address,
                                        description=reason))

    def accessed(self, caller: Caller, interaction: str, stored: Iterable[Stored],
                 query: str | None = None) -> None:
        entities = tuple(AuditEntity(s.location, LIFECYCLE["READ"]) for s in stored)
        if query is not None:
            entities += (AuditEntity(query=query),)
        self.records.append(AuditRecord(interaction, SUCCESS, caller, _address(caller),
                                        entities))

    def federation(self, caller: Caller | None, interaction: str, outcome: str,
                   references: Iterable[str] = (), description: str | None = None,
                   address: str | None = None) -> None:
        """A pull, a served pull or a sync failure: an event in the shape of IHE mCSD's
        "Request Care Services Updates" (subtype ``ITI-91``)."""
        entities = tuple(AuditEntity(ref) for ref in references)
        self.records.append(AuditRecord(interaction, outcome, caller,
                                        address or _address(caller), entities, description,
                                        subtypes=(ITI_91,)))

    def take(self) -> list[AuditRecord]:
        """The recorded events, leaving the trail empty."""
        records, self.records = self.records, []
        return records


def audit_event(record: AuditRecord, base_url: str) -> dict[str, Any]:
    """The AuditEvent resource for one record."""
    event: dict[str, Any] = {"resourceType": "AuditEvent"}
    if record.interaction == "login":
        event["type"] = LOGIN
    else:
        event["type"] = REST
        event["subtype"] = [{"system": INTERACTION_SYSTEM, "code": record.interaction}]
    if record.subtypes:
        event.setdefault("subtype", []).extend(
            {"system": system, "code": code} for system, code in record.subtypes)
    event["action"] = ACTION.get(record.interaction, "E")
    event["recorded"] = instant(record.recorded)
    event["outcome"] = record.outcome
    if record.description:
        event["outcomeDesc"] = record.description
    event["agent"] = _agents(record)
    event["source"] = {"site": base_url, "observer": {"display": base_url},
                       "type": [SOURCE_TYPE]}
    if record.entities:
        event["entity"] = [_entity(e) for e in record.entities]
    return event


def _agents(record: AuditRecord) -> list[dict[str, Any]]:
    network = {"network": {"address": record.address, "type": "2"}} if record.address else {}
    caller = record.caller
    if caller is None:
        return [{"who": {"display": "unauthenticated"}, "requestor": True, **network}]
    token = str(caller.token_id) if caller.token_id is not None else "system"
    agent: dict[str, Any] = {
        "role": [{"coding": [{"system": ROLE_SYSTEM, "code": caller.role}]}],
        "who": {"identifier": {"system": TOKEN_SYSTEM, "value": token}, "display": caller.name},
        "altId": f"token-{token}", "name": caller.name, "requestor": True, **network}
    agents = [agent]
    if caller.binding and caller.binding.startswith("Organization/"):
        agents.append({"who": {"reference": caller.binding}, "requestor": False})
    elif caller.binding:  # a country binding (national-program)
        agent["role"].append({"coding": [{"system": COUNTRY_SYSTEM, "code": caller.binding}]})
    return agents


def _entity(entity: AuditEntity) -> dict[str, Any]:
    found: dict[str, Any] = {"type": ENTITY_TYPE}
    if entity.reference:
        found["what"] = {"reference": entity.reference}
    if entity.lifecycle:
        found["lifecycle"] = {"system": LIFECYCLE_SYSTEM, "code": entity.lifecycle}
    if entity.query is not None:
        found["query"] = base64.b64encode(entity.query.encode()).decode()
    return found


def _address(caller: Caller | None) -> str | None:
    return caller.address if caller else None
