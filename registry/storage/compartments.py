"""The security compartment rows: which hub, spoke and country own a resource, and whether its
hub published it. Derived by the services on every write (``registry.services.compartment``)
and stored here in the same transaction, so the policy can hide resources inside SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from registry.storage.database import chunks
from registry.storage.tables import resource, resource_compartment

Key = tuple[str, str]
r, rc = resource.c, resource_compartment.c


@dataclass(frozen=True)
class Compartment:
    hub: str | None = None
    spoke: str | None = None
    country: str | None = None
    published: bool = False

    @property
    def owned(self) -> bool:
        return self.hub is not None or self.spoke is not None


CompartmentRow = Compartment
EMPTY = Compartment()


def stored_compartments(conn: Connection, keys: Iterable[Key], *,
                        unowned_too: bool = False) -> dict[Key, Compartment]:
    """Compartments stored for (type, id) pairs. Keys without a row are absent, unless
    ``unowned_too``: then every existing resource is there, with an empty compartment when it
    has no row."""
    by_type: dict[str, list[str]] = {}
    for res_type, res_id in sorted(set(keys)):
        by_type.setdefault(res_type, []).append(res_id)
    found: dict[Key, Compartment] = {}
    # One type at a time (``res_type = ? AND res_id IN (...)``): SQLite reads a list of
    # (type, id) pairs by scanning every resource instead of probing the key index.
    for res_type, chunk in ((t, c) for t, ids in by_type.items() for c in chunks(ids)):
        select = sa.select(r.res_type, r.res_id, rc.hub, rc.spoke, rc.country, rc.published)
        select = (select.outerjoin(resource_compartment, rc.resource_pk == r.pk) if unowned_too
                  else select.join(resource_compartment, rc.resource_pk == r.pk))
        rows = conn.execute(select.where(r.res_type == res_type, r.res_id.in_(list(chunk))))
        found.update({(row.res_type, row.res_id):
                      Compartment(row.hub, row.spoke, row.country, bool(row.published))
                      for row in rows})
    return found


def store_compartments(conn: Connection,
                       rows: Sequence[tuple[int, Compartment | None, bool]]) -> None:
    """Store (pk, compartment, replaces an earlier row?) triples; a ``None`` compartment (a
    deletion) keeps the row it had, so a tombstone stays in its owner's compartment."""
    kept = [(pk, c) for pk, c, _ in rows if c is not None]
    if not kept:
        return
    values = [{"resource_pk": pk, "hub": c.hub, "spoke": c.spoke, "country": c.country,
               "published": c.published} for pk, c in kept]
    if not any(had for _, c, had in rows if c is not None):
        conn.execute(resource_compartment.insert(), values)
        return
    conn.execute(UPSERT[conn.dialect.name], values)


def _upsert(dialect: str) -> sa.Insert:
    """A compartment row written, or rewritten in place: one statement, not DELETE + INSERT."""
    insert = (postgresql.insert(resource_compartment) if dialect == "postgresql"
              else sqlite.insert(resource_compartment))
    return insert.on_conflict_do_update(
        index_elements=[rc.resource_pk],
        set_={name: insert.excluded[name] for name in ("hub", "spoke", "country", "published")})


UPSERT = {dialect: _upsert(dialect) for dialect in ("postgresql", "sqlite")}  # built once
