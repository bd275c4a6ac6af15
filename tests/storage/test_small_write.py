"""A small write on PostgreSQL is one statement (``registry.storage.small_write``); it must
store exactly the rows that a statement per table stores: current, version (with what peers see
of it), index and compartment rows, for creates, updates, deletions and re-creations."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from registry.services.compartment import NETWORK_SYSTEM, PUBLISHED_CODE
from registry.storage import resources
from registry.storage.tables import INDEX_TABLES, resource, resource_compartment, resource_version
from tests import factories as f
from tests.conftest import Fhir
from tests.statements import recorded_statements

PUBLISHED = {"tag": [{"system": NETWORK_SYSTEM, "code": PUBLISHED_CODE}]}


def write_network(fhir: Fhir, prefix: str) -> None:
    """Creates, an update that withdraws a published spoke, a deletion and a re-creation."""
    hub_id, spoke_id = f"{prefix}-hub", f"{prefix}-spoke"
    site_id, person_id = f"{prefix}-site", f"{prefix}-person"

    def put(res_type: str, res_id: str, body: dict[str, Any]) -> None:
        answer = fhir.put(f"{res_type}/{res_id}", {**body, "id": res_id})
        assert answer.status_code in (200, 201), answer.get_data(as_text=True)
    put("Organization", hub_id, f.hub("Small write hub", ident=f"{prefix}-H"))
    spoke = f.spoke("Small write spoke", f"Organization/{hub_id}", ident=f"{prefix}-S")
    put("Organization", spoke_id, {**spoke, "meta": PUBLISHED})
    put("Location", site_id, f.site("Small write site", f"Organization/{spoke_id}", -13.6,
                                    -72.0))
    put("Practitioner", person_id, f.practitioner("Smallwrite"))
    put("Organization", spoke_id, {**spoke, "name": "Small write spoke renamed"})
    put("Location", site_id, f.site("Small write site moved", f"Organization/{spoke_id}",
                                    -13.7, -72.1))
    assert fhir.delete(f"Practitioner/{person_id}").status_code == 204
    put("Practitioner", person_id, f.practitioner("Smallwrite", "Rosa"))


def stored_rows(app: Flask, prefix: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the prefix's resources, keys and times left out (they differ by run)."""
    r, rv, rc = resource.c, resource_version.c, resource_compartment.c
    mine = r.res_id.like(f"{prefix}-%")
    name = sa.func.substr(r.res_id, len(prefix) + 2)
    with app.extensions["registry.database"].transaction(write=False) as conn:
        def rows(select: sa.Select[Any]) -> list[tuple[Any, ...]]:
            return sorted(tuple(str(v).replace(prefix, "P") for v in row)
                          for row in conn.execute(select))
        found = {
            "resource": rows(sa.select(r.res_type, name, r.version, r.deleted,
                                       r.content.is_(None)).where(mine)),
            "version": rows(sa.select(rv.res_type, name, rv.version, rv.method, rv.peer_view,
                                      rv.content.is_(None))
                            .join(resource, r.pk == rv.resource_pk).where(mine)),
            "compartment": rows(sa.select(r.res_type, name, rc.hub.is_(None), rc.spoke,
                                          rc.country, rc.published)
                                .join(resource, r.pk == rc.resource_pk).where(mine))}
        for kind, table in INDEX_TABLES.items():
            columns = [c for c in table.c if c.name not in ("resource_pk",)]
            found[kind] = rows(sa.select(name, *columns)
                               .join(resource, r.pk == table.c.resource_pk)
                               .where(mine, table.c.param != "_lastUpdated"))
    return found


def test_a_small_write_stores_the_rows_a_statement_per_table_stores(
        app: Flask, fhir: Fhir, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = app.extensions["registry.database"]
    with recorded_statements(engine) as executed:
        write_network(fhir, "sw1")
    monkeypatch.setattr(resources, "SMALL_WRITE", 0)
    write_network(fhir, "sw2")
    one, many = stored_rows(app, "sw1"), stored_rows(app, "sw2")
    assert one == many
    assert len(one["version"]) == 8 and len(one["position"]) == 1 and one["compartment"]
    spoke_views = [v[4] for v in one["version"] if v[1] == "spoke"]
    assert spoke_views == [str(resources.PEER_VERSION), str(resources.PEER_WITHDRAWAL)]
    if engine.engine.dialect.name == "postgresql":  # each write's rows in one statement
        assert not any(s.startswith(("INSERT INTO resource_version", "INSERT INTO idx_"))
                       for s in executed)
