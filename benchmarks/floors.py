"""The write and search floors, measured in-process on the same database server.

Write floor: SQLAlchemy Core executemany of exactly the rows the registry writes for the same
resources (current row, version row, index rows from the registry's own ``index_rows``), into
a database migrated with the registry's own migrations, so the tables and indexes are the same.
Rows are prepared before the clock starts: what is timed is the database work alone.

Search floor: one hand-written indexed SQL query per search request, on the registry's own
database, fetched to the last row on one connection with no HTTP in between.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from tqdm import tqdm

from benchmarks.client import Measurement
from benchmarks.dataset import Resource
from benchmarks.workloads import SqlCall
from registry.services.node import Node
from registry.services.search.index import index_rows
from registry.storage.tables import INDEX_TABLES, resource, resource_version
from registry.storage.values import instant


@dataclass(frozen=True)
class Rows:
    """The rows the registry writes for one batch of new resources, without primary keys."""

    current: list[dict[str, Any]]
    versions: list[dict[str, Any]]
    index: list[tuple[int, str, dict[str, Any]]]  # (position in batch, kind, row)

    @property
    def resources(self) -> int:
        return len(self.current)


def rows_for(resources: Sequence[Resource], node: Node, stamp: int) -> Rows:
    """What the write pipeline's persist step writes for these resources as first versions."""
    current: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    index: list[tuple[int, str, dict[str, Any]]] = []
    for position, original in enumerate(resources):
        body = dict(original)
        body["meta"] = {**(body.get("meta") or {}), "versionId": "1",
                        "lastUpdated": instant(stamp)}
        content = orjson.dumps(body).decode()
        key = {"res_type": body["resourceType"], "res_id": body["id"], "version": 1,
               "last_updated": stamp}
        current.append({**key, "deleted": False, "content": content})
        versions.append({**key, "method": "PUT", "content": content})
        rows = index_rows(body, node.search_parameters, node.base_url or "")
        for kind, kind_rows in rows.items():
            index.extend((position, kind, row) for row in kind_rows)
    return Rows(current, versions, index)


def write_floor(engine: Engine, batches: Sequence[Rows], *, progress: bool = True,
                desc: str = "write floor") -> Measurement:
    """One committed transaction per batch: executemany per table, as the registry does."""
    measurement = Measurement()
    for rows in tqdm(batches, desc=desc, unit="txn", disable=not progress, leave=False):
        started = time.perf_counter()
        _insert(engine, rows)
        seconds = time.perf_counter() - started
        measurement.latencies.append(seconds)
        measurement.seconds += seconds
        measurement.items += rows.resources
        measurement.statuses[200] += 1
    return measurement


def _insert(engine: Engine, rows: Rows) -> None:
    with engine.begin() as conn:
        result = conn.execute(
            resource.insert().returning(resource.c.pk, sort_by_parameter_order=True),
            rows.current)
        pks = list(result.scalars())
        conn.execute(resource_version.insert(),
                     [{**v, "resource_pk": pk} for v, pk in zip(rows.versions, pks, strict=True)])
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for position, kind, row in rows.index:
            by_kind.setdefault(kind, []).append({**row, "resource_pk": pks[position]})
        for kind, kind_rows in by_kind.items():
            conn.execute(INDEX_TABLES[kind].insert(), kind_rows)


def sql_floor(engine: Engine, calls: Sequence[SqlCall], repeats: int, *, progress: bool = True,
              desc: str = "sql floor") -> Measurement:
    """Run the hand-written queries ``repeats`` times in all (cycled), one connection."""
    measurement = Measurement()
    statements = [(sa.text(c.text_for(engine.dialect.name)), c.params) for c in calls]
    with engine.connect() as conn:
        for i in tqdm(range(repeats), desc=desc, unit="q", disable=not progress, leave=False):
            statement, params = statements[i % len(statements)]
            started = time.perf_counter()
            with conn.begin():
                conn.execute(statement, params).all()
            seconds = time.perf_counter() - started
            measurement.latencies.append(seconds)
            measurement.seconds += seconds
            measurement.items += 1
            measurement.statuses[200] += 1
    return measurement
