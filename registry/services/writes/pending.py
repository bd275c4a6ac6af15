"""A write waiting for the pipeline, and the checks every write interaction shares."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from registry.errors import InvalidRequest, PreconditionFailed
from registry.services.validation import is_valid_id
from registry.storage.compartments import Compartment
from registry.storage.rows import Current

MAX_VERSION = 2**31 - 1  # version numbers are 32-bit in the store


@dataclass
class PendingWrite:
    res_type: str
    res_id: str
    resource: dict[str, Any] | None  # None for a delete
    method: str  # POST, PUT, PATCH or DELETE, as the history records it
    current: Current | None = None
    where: str | None = None  # FHIRPath of the request part that asked for it (Bundle entries)
    fresh: bool = False  # a server-assigned id: nothing can be stored under it yet
    prepared: bool = False  # structure and rules already checked
    record: bool = False  # the node's own record of the batch (its AuditEvent)
    derived: bool = False  # added by a transform (a case's parts), not asked for
    # Its security compartment, once the authorize step derived it (persist stores it).
    compartment: Compartment | None = field(default=None, repr=False)
    compartment_known: bool = field(default=False, repr=False)

    @property
    def reference(self) -> str:
        return f"{self.res_type}/{self.res_id}"

    @property
    def next_version(self) -> int:
        return (self.current.version + 1) if self.current else 1


def check_version(current: Current | None, if_match: str | None, res_type: str,
                  res_id: str) -> None:
    """Enforce ``If-Match``: the client's version must be the current one."""
    if if_match is None:
        return
    expected = parse_etag(if_match)
    if current is None or current.deleted or current.version != expected:
        have = "none" if current is None or current.deleted else str(current.version)
        raise PreconditionFailed(f"{res_type}/{res_id}: If-Match version {expected} does not "
                                 f"match the current version ({have})")


def parse_etag(value: str) -> int:
    """``W/"3"`` (or ``"3"``, or ``3``) -> 3; 400 for anything else."""
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_VERSION:
        raise InvalidRequest(f"If-Match must be a version ETag like W/\"3\", got {value!r}")
    return int(text)


def new_id() -> str:
    return str(uuid.uuid4())


def ensure_id(value: str, res_type: str) -> str:
    if not is_valid_id(value):
        raise InvalidRequest(f"Invalid resource id {value!r}", f"{res_type}.id")
    return value
