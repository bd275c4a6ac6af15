"""0009_outcome_fact_rules: consultations, answers and cohort members stored before the rules
that keep their facts get those facts on upgrade, and lose them on downgrade."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from types import ModuleType

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from flask import Flask

from registry.storage.migrate import MIGRATIONS
from registry.storage.tables import outcome_fact
from tests.api.test_consultations import answer, request_body
from tests.casework import network
from tests.conftest import Fhir, system_service
from tests.programs import cohort


def revision() -> ModuleType:
    path = MIGRATIONS / "versions" / "0009_outcome_fact_rules.py"
    spec = importlib.util.spec_from_file_location("fact_rules_revision", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(app: Flask, step: Callable[[], None]) -> dict[str, int]:
    """Run a migration step on the test's connection; the facts of each kind afterwards."""
    with system_service(app, write=True) as service:
        conn = service.ctx.conn
        with Operations.context(MigrationContext.configure(conn)):
            step()
        rows = conn.execute(sa.select(outcome_fact.c.kind, sa.func.count())
                            .group_by(outcome_fact.c.kind))
        return {kind: count for kind, count in rows}


def test_upgrade_derives_the_new_facts_and_downgrade_removes_them(app: Flask,
                                                                   fhir: Fhir) -> None:
    refs = network(fhir)
    asked = f"ServiceRequest/{fhir.create(request_body(refs, 'Dose?'))['id']}"
    fhir.create(answer(asked, refs, "2027-03-02T10:00:00Z"))
    fhir.create(cohort(refs["program"], refs["hub"], [refs["presenter"]]))
    module = revision()
    before = run(app, lambda: None)
    assert before["consultation"] == before["answer"] == before["member"] == 1
    removed = run(app, module.downgrade)
    assert not {"consultation", "answer", "member"} & set(removed)
    assert run(app, module.upgrade) == before
