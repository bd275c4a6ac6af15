"""The write benchmark's readings of where time goes: wait events and cores."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from benchmarks.cpu import CpuSnapshot
from benchmarks.waits import MachineCpu, WaitSampler
from benchmarks.writes import _cores


def test_wait_events_name_what_active_sessions_wait_on(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("wait events are PostgreSQL's")
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    sleeper = threading.Thread(target=lambda: _sleep(engine, 0.6))
    with WaitSampler(database_url, interval=0.02) as waits:
        waits.start()
        sleeper.start()
        sleeper.join()
        waits.stop()
    engine.dispose()
    assert waits.samples > 5 and "Timeout:PgSleep" in waits.shares()
    assert sum(waits.shares(top=100).values()) == pytest.approx(1.0, abs=0.01)


def _sleep(engine: sa.Engine, seconds: float) -> None:
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_sleep(:s)"), {"s": seconds})


def test_cores_are_cpu_seconds_of_every_group_over_the_wall_clock() -> None:
    before = CpuSnapshot(server={1: 1.0, 2: 0.5}, database={3: 2.0}, client={4: 0.0})
    after = CpuSnapshot(server={1: 2.0, 2: 1.5, 5: 0.5}, database={3: 3.0}, client={4: 0.5})
    assert _cores(before, after, seconds=2.0) == 2.0  # 4 CPU seconds in 2 s
    machine = MachineCpu()
    time.sleep(0.05)
    assert 0.0 <= machine.busy_cores() <= 64
