"""The peers this node pulls from: added, listed with their status, removed.

Removing a peer deletes its cursor, its recorded errors and every mirror pulled from it
(through the write pipeline, as the sync: each becomes a deleted mirror, so searches stop
finding it, a read answers 410 and its history stays). Provenance records stay: they say what
was once pulled. Adding the peer again pulls everything anew under the same mirror ids.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from adapters.fhir_peer.client import checked_base
from registry.errors import Conflict, InvalidRequest, NotFound
from registry.services import tokens
from registry.services.context import Context
from registry.services.federation import mirror
from registry.services.federation.trust import check_name
from registry.services.fhir import FhirService
from registry.services.writes.pending import PendingWrite
from registry.storage import federation as rows

KEPT_ON_REMOVAL = frozenset({"Provenance"})


@dataclass(frozen=True)
class PeerStatus:
    peer: rows.PeerRow
    held: dict[str, int]  # live mirrors per resource type
    errors: int


def add(ctx: Context, name: str, base: str, client_id: str | None, token: str | None) -> None:
    check_name(name)
    if bool(client_id) == bool(token):
        raise InvalidRequest("Give exactly one of --client-id (SMART Backend Services) "
                             "or --token (a static peer token)")
    normalized = _checked_base(base)
    if rows.find_peer(ctx.conn, name) is not None:
        raise Conflict(f"A peer named {name!r} exists already; remove it first")
    if any(mirror.normalize_base(p.base) == normalized for p in rows.list_peers(ctx.conn)):
        raise Conflict(f"{normalized} is already a peer under another name")
    rows.insert_peer(ctx.conn, name, normalized, client_id or None, token or None,
                     tokens.now_us())


def find(ctx: Context, name: str) -> rows.PeerRow:
    found = rows.find_peer(ctx.conn, name)
    if found is None:
        raise NotFound(f"No peer named {name!r}")
    return found


def statuses(ctx: Context) -> list[PeerStatus]:
    return [PeerStatus(p, _held(ctx, p), rows.count_errors(ctx.conn, p.name))
            for p in rows.list_peers(ctx.conn)]


def errors(ctx: Context, name: str, limit: int = 100) -> list[rows.ErrorRow]:
    find(ctx, name)
    return rows.list_errors(ctx.conn, name, limit)


def remove(service: FhirService, name: str) -> int:
    """Remove a peer and delete its mirrors (the service must act as the sync caller);
    returns how many mirrors were deleted."""
    ctx = service.ctx
    peer = find(ctx, name)
    held = [(t, i) for t, i in rows.mirrors_held(ctx.conn, mirror.origin_tag(peer.base))
            if t not in KEPT_ON_REMOVAL]
    writes = [PendingWrite(t, i, None, "DELETE") for t, i in held]
    if writes:
        service.write(writes)
    rows.delete_peer(ctx.conn, name)
    return len(writes)


def _held(ctx: Context, peer: rows.PeerRow) -> dict[str, int]:
    counts = Counter(t for t, _ in rows.mirrors_held(ctx.conn, mirror.origin_tag(peer.base))
                     if t not in KEPT_ON_REMOVAL)
    return dict(sorted(counts.items()))


def _checked_base(base: str) -> str:
    try:
        return mirror.normalize_base(checked_base(base))
    except ValueError as bad:
        raise InvalidRequest(str(bad)) from None
