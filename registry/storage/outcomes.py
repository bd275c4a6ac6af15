"""Outcome fact rows: stored with every write, read by the indicator queries.

Facts are replaced like index rows: a new version's facts replace the old version's in the
same transaction (a deletion leaves none), so the indicators always count current resources.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registry.storage.database import chunks
from registry.storage.tables import outcome_fact

FACT_ROWS_PER_STATEMENT = 1_000
COLUMNS = ("kind", "item", "link", "link2", "code", "country", "at", "day", "value")


def store_facts(conn: Connection, writes: Sequence[tuple[int, list[dict[str, Any]], bool]]
                ) -> None:
    """Replace the facts of each (resource pk, fact rows, replaces an earlier version)."""
    replaced = [pk for pk, _, replaces in writes if replaces]
    for chunk in chunks(replaced):
        conn.execute(outcome_fact.delete().where(outcome_fact.c.resource_pk.in_(list(chunk))))
    batch = [{"resource_pk": pk, **{c: row.get(c) for c in COLUMNS}}
             for pk, facts, _ in writes for row in facts]
    for part in chunks(batch, FACT_ROWS_PER_STATEMENT):
        conn.execute(outcome_fact.insert(), list(part))


def fact_table() -> sa.Table:
    """The table the indicator queries select from."""
    return outcome_fact
