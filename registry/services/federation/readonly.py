"""Mirrors are read-only on the puller: only the sync writes them; the origin is authoritative.

A mirror is recognised by its id and its ``meta.source`` together: the id has the mirror
form (``mirror.origin_tag`` of an origin, then ``.`` or ``-``) and the origin named in
``meta.source`` has that very tag. A local record that happens to have such an id but no
matching source is not a mirror. A deleted mirror (a tombstone) is recognised by the last
version it had, so a local PUT cannot take over an id the sync may need again.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import orjson

from registry.errors import Conflict
from registry.services.context import Context
from registry.services.federation.mirror import TAG_CHARS, origin_tag, parse_source
from registry.storage.resources import read_current, read_version

if TYPE_CHECKING:
    from registry.services.writes.pipeline import WriteBatch

SYNC_CALLER = "federation-sync"
MIRROR_ID = re.compile(rf"[0-9a-f]{{{TAG_CHARS}}}[.-].+")


def mirror_origin(resource: dict[str, Any]) -> str | None:
    """The origin base of a mirror, or None when ``resource`` is not one."""
    res_id, source = resource.get("id"), (resource.get("meta") or {}).get("source")
    if not isinstance(res_id, str) or not isinstance(source, str) \
            or not MIRROR_ID.fullmatch(res_id):
        return None
    origin, _ = parse_source(source)
    return origin if res_id.startswith(origin_tag(origin)) else None


def stored_origin(ctx: Context, res_type: str, res_id: str) -> str | None:
    """The origin of the stored record ``res_type/res_id`` when it is (or was) a mirror."""
    if not MIRROR_ID.fullmatch(res_id):
        return None
    stored = read_current(ctx.conn, res_type, res_id)
    if stored is None:
        return None
    if stored.deleted and stored.version > 1:
        stored = read_version(ctx.conn, res_type, res_id, stored.version - 1)
    if stored is None or stored.content is None:
        return None
    return mirror_origin(orjson.loads(stored.content))


def is_sync(ctx: Context) -> bool:
    return ctx.caller.name == SYNC_CALLER and ctx.caller.token_id is None


class MirrorGuard:
    """The write step that refuses local writes to mirrors (409, naming the origin)."""

    def __call__(self, batch: WriteBatch) -> None:
        if is_sync(batch.ctx):
            return
        for write in batch.asked:
            if write.current is None or not MIRROR_ID.fullmatch(write.res_id):
                continue
            origin = stored_origin(batch.ctx, write.res_type, write.res_id)
            if origin is not None:
                raise Conflict(f"{write.reference} is a read-only mirror of a record held by "
                               f"{origin}; change it at its origin, the sync brings it here",
                               *([write.where] if write.where else []))
