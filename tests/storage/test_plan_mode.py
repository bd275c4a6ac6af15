"""``one_plan_for_any_value``: PostgreSQL keeps generic plans in the block, and only there;
the session keeps its mode between statements that want the same one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from registry.storage.database import create_engine, one_plan_for_any_value, transaction


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url, pool_size=1)
    yield engine
    engine.dispose()


def mode(conn: Connection) -> str | None:
    if conn.dialect.name != "postgresql":
        return None
    return str(conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one())


def test_a_read_block_forces_generic_plans_and_puts_the_mode_back(engine: Engine) -> None:
    postgres = engine.dialect.name == "postgresql"
    with transaction(engine, write=False) as conn:
        with one_plan_for_any_value(conn, True):
            assert mode(conn) == ("force_generic_plan" if postgres else None)
        assert mode(conn) == ("auto" if postgres else None)
        with one_plan_for_any_value(conn, False):
            assert mode(conn) == ("auto" if postgres else None)


def test_the_mode_is_put_back_when_the_block_raises(engine: Engine) -> None:
    with transaction(engine, write=False) as conn:
        with pytest.raises(sa.exc.DBAPIError), one_plan_for_any_value(conn, True):
            conn.exec_driver_sql("SELECT * FROM no_such_table")
        assert mode(conn) in ("auto", None)
    with transaction(engine, write=False) as conn:  # the same pooled connection (pool_size=1)
        assert mode(conn) in ("auto", None)


def test_write_transactions_take_the_servers_choice_whatever_a_read_left(
        engine: Engine) -> None:
    """A read block leaves its session forcing generic plans (pool_size=1: one connection);
    a write transaction on it, committed or rolled back, still plans as the server chooses,
    and the reads after it find the mode they ask for."""
    postgres = engine.dialect.name == "postgresql"
    for outcome in ("commit", "rollback"):
        with transaction(engine, write=False) as conn, one_plan_for_any_value(conn, True):
            assert mode(conn) == ("force_generic_plan" if postgres else None)
        expected = pytest.raises(RuntimeError) if outcome == "rollback" else nullcontext()
        with expected, transaction(engine, write=True) as conn, \
                one_plan_for_any_value(conn, True):
            assert mode(conn) == ("auto" if postgres else None)
            if outcome == "rollback":
                raise RuntimeError("roll back")
        with transaction(engine, write=False) as conn:
            with one_plan_for_any_value(conn, True):
                assert mode(conn) == ("force_generic_plan" if postgres else None)
            assert mode(conn) == ("auto" if postgres else None)


def test_only_a_change_of_mode_costs_a_round_trip(engine: Engine,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A run of searches that fit, or of other reads, sends no ``SET``: the session keeps the
    mode it was last given."""
    if engine.dialect.name != "postgresql":
        pytest.skip("plan modes are PostgreSQL's")
    import psycopg

    sets: list[str] = []
    execute = psycopg.Connection.execute

    def counted(self: psycopg.Connection, query: str, *args: object, **kwargs: object) -> object:
        if isinstance(query, str) and query.startswith("SET plan_cache_mode"):
            sets.append(query.rsplit(" ", 1)[-1])
        return execute(self, query, *args, **kwargs)
    monkeypatch.setattr(psycopg.Connection, "execute", counted)
    for fits in (True, True, True, False, False, True):
        with transaction(engine, write=False) as conn, one_plan_for_any_value(conn, fits):
            conn.exec_driver_sql("SELECT 1")
            conn.exec_driver_sql("SELECT 2")
    assert sets == ["force_generic_plan", "auto", "force_generic_plan"]


def test_a_prepared_statement_runs_its_generic_plan_in_the_block(engine: Engine) -> None:
    """What the block is for: no planning per execution, even where the server's own choice
    would be a custom plan (here a range over a table it has statistics for)."""
    if engine.dialect.name != "postgresql":
        with transaction(engine, write=False) as conn, one_plan_for_any_value(conn, True):
            assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
        return
    with transaction(engine, write=False) as conn:
        conn.exec_driver_sql("CREATE TEMPORARY TABLE plan_words AS SELECT md5(g::text) AS value"
                             " FROM generate_series(1, 20000) AS g")
        conn.exec_driver_sql('CREATE INDEX ON plan_words (value COLLATE "C")')
        conn.exec_driver_sql("ANALYZE plan_words")
        conn.exec_driver_sql('PREPARE in_range(text, text) AS SELECT count(*) FROM plan_words '
                             'WHERE value >= $1 COLLATE "C" AND value < $2 COLLATE "C"')
        plans = sa.text("SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                        "WHERE name = 'in_range'")
        for _ in range(7):  # past the five custom plans the server always starts with
            conn.exec_driver_sql("EXECUTE in_range('abc0', 'abc1')")
        assert tuple(conn.execute(plans).one()) == (0, 7)  # its own choice: plan every time
        with one_plan_for_any_value(conn, True):
            conn.exec_driver_sql("EXECUTE in_range('abc0', 'abc1')")
        assert tuple(conn.execute(plans).one()) == (1, 7)
        conn.exec_driver_sql("EXECUTE in_range('abc0', 'abc1')")
        assert tuple(conn.execute(plans).one()) == (1, 8)  # and its own choice again after
        conn.exec_driver_sql("DEALLOCATE in_range")
        conn.exec_driver_sql("DROP TABLE plan_words")
