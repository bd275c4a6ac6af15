"""The unit of work: one transaction, one context, one service built from it.

Every request, CLI command and sync page runs in exactly one ``unit_of_work``. A write's own
AuditEvent is stored with the write (the pipeline's audit step). Other events recorded on the
trail meanwhile (reads of case data, refusals) are stored before a write transaction commits,
or afterwards in a transaction of their own when the unit only read or failed: the documented
exception to "one transaction per unit of work", so that a refusal is audited although the
request that caused it wrote nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from registry.services.audit import AuditTrail
from registry.services.caller import Caller
from registry.services.context import Context
from registry.services.fhir import FhirService
from registry.services.node import Node
from registry.services.writes.audit import as_writes
from registry.services.writes.persist import persist
from registry.storage.database import Database


@contextmanager
def unit_of_work(database: Database, node: Node, caller: Caller, trail: AuditTrail,
                 base_url: str, *, write: bool) -> Iterator[FhirService]:
    """A transaction (committed if the block returns, rolled back if it raises) and the
    service of its context."""
    try:
        with database.transaction(write=write) as conn:
            service = FhirService(Context(conn, node, caller, trail, base_url))
            yield service
            if write and trail.pending:
                persist(service.ctx, as_writes(trail.take(), base_url))
    finally:
        if trail.pending:
            flush_trail(database, node, trail, base_url)


def flush_trail(database: Database, node: Node, trail: AuditTrail, base_url: str) -> None:
    """Store what the trail still holds, in a transaction of its own."""
    with database.transaction(write=True) as conn:
        ctx = Context(conn, node, Caller.system("audit"), trail, base_url)
        persist(ctx, as_writes(trail.take(), base_url))
