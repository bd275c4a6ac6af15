"""Fault injection between the registry and PostgreSQL (issue #35): a TCP proxy of our own
resets, refuses or silently drops the connections while idle, during reads and during a
1,000-entry transaction. Every request answers within its bound (a 503 OperationOutcome with
Retry-After while the database is out of reach), nothing is half-written, the transaction's
locks are released, and the app recovers without a restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from registry.storage.database import create_engine
from tests import factories as f
from tests.conftest import build_app, empty_tables, make_token
from tests.faults.proxy import FaultProxy

STATEMENT_TIMEOUT_MS = 3_000
CONNECT_TIMEOUT_S = 1
# The longest any request may take while the database misbehaves: the client-side deadline
# (statement time-out plus the connect time-out as grace), with room for a slow machine.
BOUND_S = STATEMENT_TIMEOUT_MS / 1000 + CONNECT_TIMEOUT_S + 4


@dataclass
class Faulty:
    app: Flask
    proxy: FaultProxy
    direct: sa.Engine
    token: str

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """The answer, which must come within BOUND_S."""
        answers: list[Any] = []
        client = self.app.test_client()
        worker = threading.Thread(target=lambda: answers.append(client.open(
            f"/fhir/{path}", method=method, json=body,
            headers={"Authorization": f"Bearer {self.token}",
                     "Content-Type": "application/fhir+json"})), daemon=True)
        started = time.monotonic()
        worker.start()
        worker.join(BOUND_S)
        assert answers, f"{method} {path} still waiting after {BOUND_S} s"
        response = answers[0]
        assert response.status_code in (200, 201, 503), response.get_data(as_text=True)
        if response.status_code == 503:
            assert response.json["resourceType"] == "OperationOutcome"
            assert response.headers["Retry-After"]
        response.elapsed = time.monotonic() - started
        return response

    def recovers(self) -> None:
        """Back to normal without a restart: at most one more 503 per stale connection."""
        self.proxy.forward()
        statuses = [self.call("GET", "Organization?_count=1").status_code for _ in range(12)]
        assert statuses[-3:] == [200, 200, 200], statuses

    def organizations(self) -> int:
        with self.direct.connect() as conn:
            return int(conn.execute(sa.text(
                "SELECT count(*) FROM resource WHERE res_type = 'Organization'")).scalar_one())

    def idle_in_transaction(self) -> int:
        with self.direct.connect() as conn:
            return int(conn.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%'")).scalar_one())


@pytest.fixture
def faulty(database_url: str) -> Iterator[Faulty]:
    if not database_url.startswith("postgresql"):
        pytest.skip("the fault proxy stands before PostgreSQL")
    empty_tables(database_url)
    url = sa.engine.make_url(database_url)
    proxy = FaultProxy((url.host or "127.0.0.1", url.port or 5432))
    app = build_app(url.set(host="127.0.0.1", port=proxy.port).render_as_string(
        hide_password=False), statement_timeout_ms=STATEMENT_TIMEOUT_MS,
        idle_in_transaction_timeout_ms=STATEMENT_TIMEOUT_MS,
        database_connect_timeout_seconds=CONNECT_TIMEOUT_S, rate_limit="")
    direct = create_engine(database_url)
    try:
        yield Faulty(app, proxy, direct, make_token(app))
    finally:
        proxy.close()
        app.extensions["registry.database"].dispose()
        direct.dispose()
        empty_tables(database_url)


def transaction(size: int) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": f.hub(f"Faulty Hub {n}", ident=f"FAULT-{n}"),
         "request": {"method": "POST", "url": "Organization"}} for n in range(size)]}


def test_connections_reset_while_idle(faulty: Faulty) -> None:
    for _ in range(3):
        assert faulty.call("GET", "Organization").status_code == 200
    faulty.proxy.reset()
    faulty.recovers()


def test_connections_refused(faulty: Faulty) -> None:
    assert faulty.call("GET", "Organization").status_code == 200
    faulty.proxy.refuse()
    for method, path, body in [("GET", "Organization", None),
                               ("POST", "Organization", f.hub("Refused Hub")),
                               ("GET", "_history", None)]:
        assert faulty.call(method, path, body).status_code == 503
    faulty.recovers()
    assert faulty.organizations() == 0


def test_a_silent_drop_during_a_read(faulty: Faulty) -> None:
    assert faulty.call("GET", "Organization").status_code == 200
    faulty.proxy.blackhole()
    response = faulty.call("GET", "Organization?name=faulty")
    assert response.status_code == 503
    faulty.recovers()


@pytest.mark.parametrize("cut", ["blackhole", "reset"])
def test_a_transaction_cut_in_the_middle_writes_nothing_and_releases_its_locks(
        faulty: Faulty, cut: str) -> None:
    assert faulty.call("GET", "Organization").status_code == 200
    bundle = transaction(1_000)
    faulty.proxy.blackhole_after(150_000)  # well into the transaction's statements
    if cut == "reset":
        threading.Timer(0.5, faulty.proxy.reset).start()
    assert faulty.call("POST", "", bundle).status_code == 503
    assert faulty.organizations() == 0  # nothing half-written
    deadline = time.monotonic() + BOUND_S
    while faulty.idle_in_transaction() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert faulty.idle_in_transaction() == 0  # the server let go of the cut transaction
    faulty.recovers()
    again = {**bundle, "entry": bundle["entry"][:100]}  # well within the transaction's bound
    assert faulty.call("POST", "", again).status_code == 200  # its rows are free again
    assert faulty.organizations() == 100
