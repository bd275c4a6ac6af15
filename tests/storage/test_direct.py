"""``registry.storage.direct``: the hot reads sent straight to the driver answer exactly what
SQLAlchemy answers, keep the plan mode, fail as SQLAlchemy fails, and are taken only where
nothing would differ."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from registry.services.store import READ_CURRENT, READ_MANY, READ_VERSION
from registry.storage import direct
from registry.storage.database import (
    create_engine,
    is_timeout,
    one_plan_for_any_value,
    transaction,
)
from registry.storage.direct import _driver_sql, fetch_all, fetch_first
from registry.storage.tables import resource
from tests.conftest import empty_tables

ROWS = [("Organization", "org-a", 3, 1_700_000_000_000_000, False, '{"id":"org-a"}'),
        ("Organization", "org-b", 1, 1_700_000_000_000_001, True, None),
        ("Practitioner", "pr-1", 2, 1_700_000_000_000_002, False, '{"id":"pr-1"}')]
# A literal built into the statement ('Organization') besides the value bound per call.
BY_TYPE = (sa.select(resource.c.res_id, resource.c.version, resource.c.deleted,
                     resource.c.content)
           .where(resource.c.res_type == "Organization",
                  resource.c.res_id >= sa.bindparam("from_id"))
           .order_by(resource.c.res_id))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    empty_tables(database_url)
    engine = create_engine(database_url, pool_size=1)
    with transaction(engine, write=True) as conn:
        conn.execute(resource.insert(), [
            dict(zip(("res_type", "res_id", "version", "last_updated", "deleted", "content"),
                     row, strict=True)) for row in ROWS])
    yield engine
    engine.dispose()
    empty_tables(database_url)


def through_sqlalchemy(engine: Engine, statement: sa.Select[tuple[object, ...]],
                       params: dict[str, object]) -> list[tuple[object, ...]]:
    with transaction(engine, write=False) as conn:
        return [tuple(row) for row in conn.execute(statement, params)]


@pytest.mark.parametrize("write", [False, True])
def test_rows_are_the_ones_sqlalchemy_reads(engine: Engine, write: bool) -> None:
    cases = [(READ_CURRENT, {"res_type": "Organization", "res_id": "org-a"}),
             (READ_CURRENT, {"res_type": "Organization", "res_id": "org-b"}),
             (READ_CURRENT, {"res_type": "Organization", "res_id": "missing"}),
             (BY_TYPE, {"from_id": "org-"}),
             (BY_TYPE, {"from_id": "org-b"})]
    for statement, params in cases:
        with transaction(engine, write=write) as conn:
            rows = list(fetch_all(conn, statement, params))
        assert rows == through_sqlalchemy(engine, statement, params)
    with transaction(engine, write=write) as conn:
        assert fetch_first(conn, READ_CURRENT, {"res_type": "Practitioner", "res_id": "pr-1"}) \
            == (2, 1_700_000_000_000_002, False, '{"id":"pr-1"}')
        assert fetch_first(conn, READ_CURRENT, {"res_type": "Practitioner", "res_id": "x"}) \
            is None


def test_postgresql_statements_go_to_the_driver_unless_sqlalchemy_would_change_values(
        engine: Engine) -> None:
    postgres = engine.dialect.name == "postgresql"
    if not postgres:
        pytest.skip("SQLite statements always go through SQLAlchemy")
    for statement in (READ_CURRENT, READ_VERSION, BY_TYPE):
        sql = _driver_sql(statement, engine.dialect)
        assert sql is not None
    assert _driver_sql(BY_TYPE, engine.dialect).defaults == {"res_type_1": "Organization"}
    # The list bound as one array goes through the ARRAY type's conversion.
    assert _driver_sql(READ_MANY["postgresql"], engine.dialect) is None
    with transaction(engine, write=False) as conn:
        rows = fetch_all(conn, READ_MANY["postgresql"],
                         {"res_type": "Organization", "ids": ["org-a", "org-b"]})
    assert [row[0] for row in rows] == ["org-a"]


def test_a_search_block_forces_generic_plans_on_the_direct_path(engine: Engine) -> None:
    """The plan mode is switched before a direct statement as before any other; shown by
    the mode the session holds right after one, asked for without a statement between."""
    if engine.dialect.name != "postgresql":
        pytest.skip("plan modes are PostgreSQL's")

    def session_mode(conn: sa.Connection) -> str:
        return str(conn.connection.driver_connection.execute("SHOW plan_cache_mode")
                   .fetchone()[0])

    with transaction(engine, write=False) as conn:
        with one_plan_for_any_value(conn, True):
            fetch_all(conn, BY_TYPE, {"from_id": "org-"})
            assert session_mode(conn) == "force_generic_plan"
        fetch_all(conn, BY_TYPE, {"from_id": "org-"})
        assert session_mode(conn) == "auto"


def test_database_errors_are_sqlalchemys_and_a_timeout_is_recognised(
        database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the driver path is PostgreSQL's")
    engine = create_engine(database_url, pool_size=1, statement_timeout_ms=50)
    sleep = sa.select(sa.func.pg_sleep(sa.bindparam("seconds", type_=sa.Float)))
    try:
        assert _driver_sql(sleep, engine.dialect) is not None
        with pytest.raises(sa.exc.OperationalError) as raised, \
                transaction(engine, write=False) as conn:
            fetch_all(conn, sleep, {"seconds": 1})
        assert is_timeout(raised.value)
        assert raised.value.hide_parameters  # bound values stay out of logs, as elsewhere
        with transaction(engine, write=False) as conn:  # the connection is still usable
            assert len(fetch_all(conn, sleep, {"seconds": 0})) == 1
    finally:
        engine.dispose()


def test_a_connection_the_server_dropped_is_invalidated(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the driver path is PostgreSQL's")
    with transaction(engine, write=False) as conn:
        backend = conn.connection.driver_connection.info.backend_pid
    other = create_engine(engine.url.render_as_string(hide_password=False))
    try:
        with transaction(other, write=False) as admin:
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    finally:
        other.dispose()
    seen: list[bool] = []
    with pytest.raises(sa.exc.DBAPIError) as raised, \
            transaction(engine, write=False) as conn:
        try:
            fetch_all(conn, READ_CURRENT, {"res_type": "Organization", "res_id": "org-a"})
        finally:
            seen.append(conn.invalidated)  # before the transaction's end tries a rollback
    assert seen == [True]
    assert raised.value.connection_invalidated
    with transaction(engine, write=False) as conn:  # the pool replaced it
        assert fetch_first(conn, READ_CURRENT, {"res_type": "Organization", "res_id": "org-a"})


def test_outside_a_transaction_statements_go_through_sqlalchemy(engine: Engine) -> None:
    """A bare connection has not begun; SQLAlchemy's autobegin (and the engine's BEGIN
    listener) must see the statement, so the driver path is not taken."""
    with engine.connect() as conn:
        assert not conn.in_transaction()
        rows = fetch_all(conn, BY_TYPE, {"from_id": "org-"})
        assert conn.in_transaction()
    assert [row[0] for row in rows] == ["org-a", "org-b"]


def test_a_read_runs_in_autocommit_with_nothing_begun(engine: Engine) -> None:
    """A read of ``transaction()`` on PostgreSQL begins nothing: a direct statement leaves the
    connection untouched, and one through SQLAlchemy autobegins without sending BEGIN (each
    statement is then its own transaction, so its start is the transaction's)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the driver path is PostgreSQL's")
    with transaction(engine, write=False) as conn:
        rows = fetch_all(conn, BY_TYPE, {"from_id": "org-"})
        assert not conn.in_transaction()
        alone = conn.execute(sa.text("SELECT now() = statement_timestamp()")).scalar_one()
    assert [row[0] for row in rows] == ["org-a", "org-b"]
    assert alone is True
    with transaction(engine, write=True) as conn:
        conn.execute(sa.text("SELECT pg_sleep(0.01)"))
        alone = conn.execute(sa.text("SELECT now() = statement_timestamp()")).scalar_one()
    assert alone is False  # the write's BEGIN came first


def test_the_engines_statement_listeners_see_direct_statements(engine: Engine) -> None:
    """Tracing and the plan-mode switch hook ``before/after_cursor_execute``: a statement sent
    to the driver directly is still seen, with the values it was sent with."""
    seen: list[tuple[str, str, object]] = []

    def before(_conn: object, _cursor: object, statement: str, parameters: object,
               *_: object) -> None:
        seen.append(("before", statement, parameters))

    def after(_conn: object, _cursor: object, statement: str, parameters: object,
              *_: object) -> None:
        seen.append(("after", statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    with transaction(engine, write=False) as conn:
        fetch_all(conn, BY_TYPE, {"from_id": "org-b"})
    assert [kind for kind, _, _ in seen] == ["before", "after"]
    assert all("resource.res_id >=" in statement for _, statement, _ in seen)
    assert any("org-b" in str(parameters) for _, _, parameters in seen)


def test_a_connection_keeps_its_cursor_only_for_small_results(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """One cursor serves a connection's reads (its column loaders learnt once); a result
    larger than ``KEEP_CURSOR_ROWS`` closes it, so no large result stays in an idle
    connection."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the driver path is PostgreSQL's")
    monkeypatch.setattr(direct, "KEEP_CURSOR_ROWS", 1)
    with transaction(engine, write=False) as conn:
        fetch_first(conn, READ_CURRENT, {"res_type": "Organization", "res_id": "org-a"})
        kept = conn.info[direct._CURSOR]
        row = fetch_first(conn, READ_CURRENT, {"res_type": "Practitioner", "res_id": "pr-1"})
        assert conn.info[direct._CURSOR] is kept and row is not None and row[0] == 2
        rows = fetch_all(conn, BY_TYPE, {"from_id": "org-"})  # two rows: more than one
        assert [r[0] for r in rows] == ["org-a", "org-b"]
        assert direct._CURSOR not in conn.info and kept.closed
    with transaction(engine, write=False) as conn:  # the pool's connection gets a new one
        assert fetch_first(conn, READ_CURRENT, {"res_type": "Organization", "res_id": "org-b"})
        assert not conn.info[direct._CURSOR].closed


def test_a_failed_statement_does_not_keep_its_cursor(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the driver path is PostgreSQL's")
    failing = sa.select(sa.cast(sa.bindparam("text", type_=sa.String), sa.Integer))
    with transaction(engine, write=False) as conn:
        assert fetch_first(conn, failing, {"text": "7"}) == (7,)
        kept = conn.info[direct._CURSOR]
        with pytest.raises(sa.exc.DataError):
            fetch_first(conn, failing, {"text": "seven"})
        assert direct._CURSOR not in conn.info and kept.closed
        assert fetch_first(conn, failing, {"text": "8"}) == (8,)  # a new cursor
