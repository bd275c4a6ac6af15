"""Compartment derivation and the policy table itself (service layer, no HTTP)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from registry.services import policy
from registry.services.compartment import Compartment, derive
from registry.services.writes import persist as persist_module
from registry.services.writes.pending import PendingWrite
from registry.services.writes.persist import persist
from registry.storage import scope
from registry.storage.tables import resource, resource_compartment
from tests.conftest import system_service
from tests.security.network import PUBLISHED, kind, owner, ref


def write(app: Flask, *bodies: dict[str, Any]) -> dict[str, Compartment]:
    """Persist ``bodies`` in one batch; the stored compartments by ``Type/id``."""
    with system_service(app) as service:
        conn = service.ctx.conn
        if bodies:  # straight to persist: derivation is what is under test, not profiles
            writes = [PendingWrite(b["resourceType"], b["id"], dict(b), "PUT") for b in bodies]
            for w in writes:
                w.current = service.ctx.resources.current(w.res_type, [w.res_id]).get(w.res_id)
            persist(service.ctx, writes)
        r, c = resource.c, resource_compartment.c
        rows = conn.execute(sa.select(r.res_type, r.res_id, c.hub, c.spoke, c.country,
                                      c.published).join(resource_compartment,
                                                        c.resource_pk == r.pk))
        return {f"{row.res_type}/{row.res_id}": Compartment(row.hub, row.spoke, row.country,
                                                            row.published) for row in rows}


NP = {"resourceType": "Organization", "id": "np", "type": kind("national-program"),
      "address": [{"country": "pe"}]}
HUB = {"resourceType": "Organization", "id": "hub", "type": kind("hub"),
       "partOf": ref("Organization/np"), "meta": PUBLISHED}
SPOKE = {"resourceType": "Organization", "id": "spoke", "type": kind("spoke"),
         "partOf": ref("Organization/hub")}


@pytest.mark.parametrize("writes_per_statement", [1_000, 1])
def test_owners_resolve_inside_a_batch_whatever_its_order(
        app: Flask, monkeypatch: pytest.MonkeyPatch, writes_per_statement: int) -> None:
    """Also when the batch is written in slices and each owner comes in a later slice."""
    monkeypatch.setattr(persist_module, "WRITES_PER_STATEMENT", writes_per_statement)
    site = {"resourceType": "Location", "id": "site", "managingOrganization":
            ref("Organization/spoke"), "address": {"country": "BO"}}
    found = write(app, site, SPOKE, HUB, NP)
    assert found["Organization/np"] == Compartment(country="PE")
    assert found["Organization/hub"] == Compartment("hub", None, "PE", True)
    assert found["Organization/spoke"] == Compartment("hub", "spoke", "PE", False)
    assert found["Location/site"] == Compartment("hub", "spoke", "BO", False)


def test_owners_resolve_from_what_is_stored(app: Flask) -> None:
    write(app, NP, HUB, SPOKE)
    found = write(app, {"resourceType": "Practitioner", "id": "p",
                        "extension": owner("Organization/spoke")},
                  {"resourceType": "Communication", "id": "c", "status": "completed",
                   "about": [ref("http://registry.test/fhir/Practitioner/p")]},
                  {"resourceType": "Communication", "id": "elsewhere", "status": "completed",
                   "about": [ref("http://other.example/fhir/Composition/x")]})
    assert found["Practitioner/p"] == Compartment("hub", "spoke", "PE", False)
    assert found["Communication/c"] == found["Practitioner/p"]
    assert found["Communication/elsewhere"] == Compartment()


def test_a_reference_cycle_owns_nothing(app: Flask) -> None:
    a = {"resourceType": "Organization", "id": "a", "partOf": ref("Organization/b")}
    b = {"resourceType": "Organization", "id": "b", "partOf": ref("Organization/a")}
    found = write(app, a, b)
    assert found["Organization/a"] == found["Organization/b"] == Compartment()


def test_a_deletion_keeps_its_compartment(app: Flask) -> None:
    write(app, NP, HUB)
    with system_service(app) as service:
        conn = service.ctx.conn
        service.delete("Organization", "hub")
        assert derive(conn, "http://registry.test/fhir", [
            PendingWrite("Organization", "hub", None, "DELETE")]) == [None]
    assert write(app)["Organization/hub"] == Compartment("hub", None, "PE", True)


def test_every_resource_type_of_the_node_has_a_category(app: Flask) -> None:
    node = app.extensions["registry.node"]
    assert sorted(t for t in node.resource_types if t not in policy.CATEGORY_OF) == []


def test_the_policy_denies_by_default_and_never_lets_anyone_write_audit() -> None:
    stranger = policy.Subject("auditor")
    for res_type in policy.CATEGORY_OF:
        for interaction in policy.INTERACTIONS:
            assert policy.scope(stranger, interaction, res_type) is policy.NONE
    for role in policy.ROLES:
        subject = policy.Subject(role, hub="h", spoke="s", country="PE")
        for interaction in ("create", "update", "delete"):
            assert not policy.permits(subject, interaction, "AuditEvent", Compartment())


def test_a_bound_scope_needs_a_binding() -> None:
    unbound = policy.Subject("hub-admin")  # e.g. its hub was never registered
    assert not policy.permits(unbound, "update", "Location", Compartment())
    assert not policy.permits(unbound, "update", "Location", Compartment(hub=None))
    assert policy.permits(policy.Subject("hub-admin", hub="h"), "update", "Location",
                          Compartment(hub="h"))


def test_rebuild_derives_compartments_of_a_populated_database(app: Flask) -> None:
    before = write(app, NP, HUB, SPOKE)
    with system_service(app) as service:
        conn = service.ctx.conn
        conn.execute(resource_compartment.delete())
    assert write(app) == {}
    result = app.test_cli_runner().invoke(args=["security", "rebuild"])
    assert result.exit_code == 0 and "3 compartments derived" in result.stdout
    assert write(app) == before


def test_bulk_export_reaches_only_the_national_programs_country(app: Flask) -> None:
    from tests.security.network import load_network

    load_network(app)
    national = policy.Subject("national-program", country="PE")
    with system_service(app, write=False) as service:
        conn = service.ctx.conn
        condition = scope.condition(policy.restriction(national, "export", "Location"),
                                    resource.c.pk)
        assert condition is not None
        ids = conn.execute(sa.select(resource.c.res_id).where(
            resource.c.res_type == "Location", condition)).scalars().all()
    assert ids == ["loc-1"]
    hub = policy.Subject("hub-admin", hub="hub-1")
    assert policy.scope(hub, "export", "Location") is policy.NONE


def test_case_parts_follow_the_presenting_spoke_also_after_a_rebuild(app: Flask) -> None:
    """The Bundle and Composition follow Composition.author (the presenter's role at the
    spoke); the extracted Condition, Observation and MedicationStatement name their
    Composition as owner, so ``security rebuild`` derives the same compartments again."""
    from tests.security.network import load_network

    aliases = load_network(app).aliases
    spoke_1 = Compartment("hub-1", "spoke-1", "PE", False)
    spoke_2 = Compartment("hub-2", "spoke-2", "BR", False)
    before = write(app)
    for side, expected in (("1", spoke_1), ("2", spoke_2)):
        parts = [key for alias, key in aliases.items() if alias.endswith(f"-{side}")]
        assert {before[key] for key in [f"Bundle/doc-{side}", *parts]} == {expected}
    with system_service(app) as service:
        conn = service.ctx.conn
        conn.execute(resource_compartment.delete())
    assert app.test_cli_runner().invoke(args=["security", "rebuild"]).exit_code == 0
    assert write(app) == before
