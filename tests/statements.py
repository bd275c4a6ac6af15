"""The SQL an engine sends while a block runs, for tests that check a statement's shape."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def recorded_statements(target: Any) -> Iterator[list[str]]:
    """Every statement an engine (or a ``Database``'s) sends inside the block, in order (the
    list fills as it runs)."""
    engine: Engine = getattr(target, "engine", target)
    executed: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        executed.append(statement)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield executed
    finally:
        event.remove(engine, "before_cursor_execute", record)


def resource_reads(executed: list[str]) -> list[str]:
    """The statements that read resources, without the request's housekeeping (token look-up,
    rate counter, savepoints of the test's transaction)."""
    return [s for s in executed if s.lstrip().upper().startswith(("SELECT", "WITH", "("))
            and "access_token" not in s and "rate_counter" not in s]
