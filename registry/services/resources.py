"""Reads of the resource store within one unit of work, and reference resolution.

``resolve`` is how the write pipeline looks at what a reference names: the resources a batch
is about to write come first (a transaction's entries refer to each other), then what is
stored. Reads raise the FHIR errors (404 unknown, 410 deleted); the caller checks access first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from registry.errors import Gone, NotFound
from registry.services.node import Node
from registry.storage import resources as rows
from registry.storage.database import Connection
from registry.storage.rows import Current, Stored


@dataclass
class Resources:
    conn: Connection
    node: Node
    pending: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    _resolved: dict[str, dict[str, Any] | None] = field(default_factory=dict, repr=False)

    def check_type(self, res_type: str) -> None:
        if not self.node.supports(res_type):
            raise NotFound(f"Resource type {res_type!r} is not supported by this server")

    def read(self, res_type: str, res_id: str) -> Stored:
        self.check_type(res_type)
        stored = rows.read_current(self.conn, res_type, res_id)
        if stored is None:
            raise NotFound(f"{res_type}/{res_id} is not known")
        if stored.deleted:
            raise Gone(f"{res_type}/{res_id} was deleted", headers={"ETag": stored.etag})
        return stored

    def vread(self, res_type: str, res_id: str, version: str) -> Stored:
        self.check_type(res_type)
        number = int(version) if version.isascii() and version.isdigit() else None
        stored = None if number is None or number > 2**31 - 1 else rows.read_version(
            self.conn, res_type, res_id, number)
        if stored is None:
            raise NotFound(f"{res_type}/{res_id} has no version {version!r}")
        if stored.deleted:
            raise Gone(f"{res_type}/{res_id} version {version} is a deletion")
        return stored

    def read_many(self, keys: Iterable[tuple[str, str]]) -> list[Stored]:
        """Current, non-deleted versions of the given (type, id) pairs, in no particular order."""
        return rows.read_many(self.conn, keys)

    def current(self, res_type: str, ids: Sequence[str]) -> dict[str, Current]:
        return rows.current_rows(self.conn, res_type, ids)

    def resolve(self, reference: str) -> dict[str, Any] | None:
        """The current resource a literal reference names: pending writes first, then stored."""
        if reference in self.pending:
            return self.pending[reference]
        if reference not in self._resolved:
            self._resolved[reference] = self._lookup(reference)
        return self._resolved[reference]

    def forget_resolved(self) -> None:
        """Drop what was resolved: the store is about to change."""
        self._resolved.clear()

    def _lookup(self, reference: str) -> dict[str, Any] | None:
        res_type, _, res_id = reference.partition("/")
        if not res_id or "/" in res_id or not self.node.supports(res_type):
            return None
        found = rows.read_many(self.conn, [(res_type, res_id)])
        return found[0].resource() if found else None
