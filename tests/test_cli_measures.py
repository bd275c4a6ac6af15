"""``registry measures``: evaluate, release, ledger, export and import from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from adapters.adx import adx_schema
from tests.conftest import Fhir
from tests.services.outcomes.network import attendee, held, outcomes_network

DAY = "2026-11-04"


@pytest.fixture
def runner(app: Flask, fhir: Fhir) -> object:
    refs = outcomes_network(fhir)
    held(fhir, refs, DAY, [attendee(refs["mentee0"], DAY, "14:00", "15:00")])
    return app.test_cli_runner()


def test_evaluate_release_ledger_export_import(runner: object, tmp_path: Path) -> None:
    invoke = runner.invoke  # type: ignore[attr-defined]
    nothing = invoke(args=["measures", "export", "--period", "2026-11", "--format", "csv"])
    assert nothing.exit_code == 1 and "Nothing released" in nothing.output
    evaluated = invoke(args=["measures", "evaluate", "--period", "2026-11"])
    assert evaluated.exit_code == 0, evaluated.output
    assert "reports evaluated for 2026-11" in evaluated.output
    released = invoke(args=["measures", "release", "--period", "2026-11"])
    assert released.exit_code == 0, released.output
    assert "ledger version 1" in released.output and "audit passed" in released.output
    ledger = invoke(args=["measures", "ledger"])
    assert ledger.exit_code == 0 and "2026-11  v1  public  masked  threshold 11" in ledger.output
    adx_file = tmp_path / "out.xml"
    exported = invoke(args=["measures", "export", "--period", "2026-11", "--format", "adx",
                            "-o", str(adx_file)])
    assert exported.exit_code == 0, exported.output
    assert adx_schema().is_valid(adx_file.read_text(encoding="utf-8"))
    imported = invoke(args=["measures", "import", "--format", "adx", str(adx_file)])
    assert imported.exit_code == 0, imported.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"dataValues": [{"dataElement": 1}]}', encoding="utf-8")
    refused = invoke(args=["measures", "import", "--format", "dhis2", str(bad)])
    assert refused.exit_code == 1 and "Traceback" not in refused.output


def test_exact_release_needs_the_named_aggregator(runner: object) -> None:
    invoke = runner.invoke  # type: ignore[attr-defined]
    assert invoke(args=["measures", "evaluate", "--period", "2026-11"]).exit_code == 0
    refused = invoke(args=["measures", "release", "--period", "2026-11", "--to", "elsewhere"])
    assert refused.exit_code == 1
    assert "not this node's aggregator" in refused.output


def test_a_bad_period_is_one_line(runner: object) -> None:
    invoke = runner.invoke  # type: ignore[attr-defined]
    result = invoke(args=["measures", "evaluate", "--period", "2026-13"])
    assert result.exit_code == 1
    assert "is not YYYY, YYYY-Qn or YYYY-MM" in result.output


def test_refresh_facts_derives_them_again(app: Flask, runner: object) -> None:
    import sqlalchemy as sa

    from registry.storage.tables import outcome_fact

    database = app.extensions["registry.database"]
    with database.transaction(write=True) as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(outcome_fact)).scalar()
        conn.execute(outcome_fact.delete())
    result = runner.invoke(args=["measures", "refresh-facts"])  # type: ignore[attr-defined]
    assert result.exit_code == 0, result.output
    with database.transaction(write=False) as conn:
        after = conn.execute(sa.select(sa.func.count()).select_from(outcome_fact)).scalar()
    assert before and after == before
