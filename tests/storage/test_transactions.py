"""Transactions: reads in autocommit, writes serialized, and plain ``engine.begin()`` atomic."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from registry.storage.database import create_engine, transaction


@pytest.fixture
def engine(database_url: str) -> sa.Engine:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS tx_probe")
        conn.exec_driver_sql("CREATE TABLE tx_probe (n INTEGER)")
    yield engine
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE tx_probe")
    engine.dispose()


def count(engine: sa.Engine) -> int:
    with transaction(engine, write=False) as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM tx_probe").scalar_one())


def test_a_plain_engine_begin_is_still_one_atomic_transaction(engine: sa.Engine) -> None:
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO tx_probe VALUES (1)"))
        conn.execute(sa.text("INSERT INTO tx_probe VALUES (2)"))
        raise RuntimeError("abort")
    assert count(engine) == 0


def test_a_failed_write_transaction_changes_nothing(engine: sa.Engine) -> None:
    with pytest.raises(RuntimeError), transaction(engine, write=True) as conn:
        conn.execute(sa.text("INSERT INTO tx_probe VALUES (1)"))
        raise RuntimeError("abort")
    with transaction(engine, write=True) as conn:
        conn.execute(sa.text("INSERT INTO tx_probe VALUES (1)"))
    assert count(engine) == 1


def in_transaction(conn: sa.Connection) -> bool:
    """What the database connection itself says (not SQLAlchemy's bookkeeping)."""
    dbapi = conn.connection.dbapi_connection
    if conn.dialect.name == "sqlite":
        return bool(dbapi.in_transaction)
    from psycopg.pq import TransactionStatus

    return bool(dbapi.info.transaction_status != TransactionStatus.IDLE)


def test_a_read_holds_no_transaction_open(engine: sa.Engine) -> None:
    with transaction(engine, write=False) as conn:
        conn.exec_driver_sql("SELECT count(*) FROM tx_probe").scalar_one()
        assert not in_transaction(conn)


def test_writes_and_reads_alternate_on_one_pooled_connection(engine: sa.Engine) -> None:
    """A write is one open transaction until it ends; the read that next checks the same
    connection out runs outside any."""
    small = create_engine(str(engine.url.render_as_string(hide_password=False)), pool_size=1)
    try:
        for n in range(2):
            with transaction(small, write=True) as conn:
                conn.exec_driver_sql("INSERT INTO tx_probe VALUES (1)")
                assert in_transaction(conn)
            with transaction(small, write=False) as conn:
                assert conn.exec_driver_sql("SELECT count(*) FROM tx_probe").scalar_one() == n + 1
                assert not in_transaction(conn)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("SELECT 1")
            assert not in_transaction(conn)
    finally:
        small.dispose()


def test_a_transaction_left_open_behind_sqlalchemys_back_is_rolled_back_at_check_in(
        engine: sa.Engine) -> None:
    """A transaction begun on the driver directly, which SQLAlchemy does not know of, is
    rolled back by the pool before the next user checks the connection out."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the driver is PostgreSQL's")
    small = create_engine(str(engine.url.render_as_string(hide_password=False)), pool_size=1)
    try:
        with transaction(small, write=False) as conn:
            driver = conn.connection.driver_connection
            driver.execute("BEGIN")
            driver.execute("INSERT INTO tx_probe VALUES (1)")
            assert in_transaction(conn)
        with transaction(small, write=False) as conn:
            assert conn.connection.driver_connection is driver  # the same connection
            assert not in_transaction(conn)
            assert conn.exec_driver_sql("SELECT count(*) FROM tx_probe").scalar_one() == 0
    finally:
        small.dispose()
