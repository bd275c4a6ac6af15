"""What the store hands back (one stored version of a resource, a resource's current row) and
what it is given to store (a version's rows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from registry.errors import Gone
from registry.storage.compartments import Compartment


@dataclass(slots=True)
class Stored:
    """One stored version of a resource, with its JSON text exactly as served.

    Treated as immutable but not frozen: a search page builds a few hundred of these and a
    history page up to a thousand, and a frozen dataclass sets each field the slow way.
    """

    res_type: str
    res_id: str
    version: int
    last_updated: int  # microseconds since the epoch, UTC
    deleted: bool
    content: str | None
    method: str = "PUT"
    created: bool = False

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'

    @property
    def location(self) -> str:
        return f"{self.res_type}/{self.res_id}/_history/{self.version}"

    @property
    def reference(self) -> str:
        return f"{self.res_type}/{self.res_id}"

    def resource(self) -> dict[str, Any]:
        if self.content is None:
            raise Gone(f"{self.res_type}/{self.res_id} is deleted")
        return orjson.loads(self.content)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Current:
    """The current row of a resource: its key, version, whether it is a tombstone and
    whether its stored compartment is published (what peers saw of it until now)."""

    pk: int
    version: int
    deleted: bool
    published: bool = False


@dataclass
class RowWrite:
    """One version to store: its rows as the services built them."""

    res_type: str
    res_id: str
    current: Current | None  # the row it replaces, None for a new resource
    stored: Stored  # version, time, content (None for a deletion), method
    index: dict[str, list[dict[str, Any]]]  # index rows by kind, without resource_pk
    compartment: Compartment | None  # None: a deletion keeps the row it had
