"""The peers this node pulls from: added, listed with their status, removed.

Each peer is also an Endpoint resource (``endpoint``; read over the API by network-admin),
written after each sync with its cursor, last success and last error, once the peer's own hub
or national program has been pulled (the profile wants one managing it).

Removing a peer deletes its cursor, its recorded errors and every mirror pulled from it, the
records it relayed from other origins included (through the write pipeline, as the sync: each
becomes a deleted mirror, so searches stop finding it, a read answers 410 and its history
stays). Provenance records stay: they say what
was once pulled. Adding the peer again pulls everything anew under the same mirror ids.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from adapters.fhir_peer.client import checked_base
from registry.errors import Conflict, InvalidRequest, NotFound
from registry.services import tokens
from registry.services.context import Context
from registry.services.federation import mirror
from registry.services.federation.trust import check_name
from registry.services.fhir import FhirService
from registry.services.writes.pending import PendingWrite
from registry.storage import federation as rows
from registry.storage.values import instant

KEPT_ON_REMOVAL = frozenset({"Provenance"})


@dataclass(frozen=True)
class PeerStatus:
    peer: rows.PeerRow
    held: dict[str, int]  # live mirrors per resource type
    errors: int


def add(service: FhirService, name: str, base: str, client_id: str | None,
        token: str | None) -> None:
    """Add a peer to pull from."""
    ctx = service.ctx
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
    held = _mirrors(ctx, peer)
    writes = [PendingWrite(t, i, None, "DELETE") for t, i in held]
    current = service.ctx.resources.current("Endpoint", [endpoint_id(name)])
    if endpoint_id(name) in current and not current[endpoint_id(name)].deleted:
        writes.append(PendingWrite("Endpoint", endpoint_id(name), None, "DELETE"))
    if writes:
        service.write(writes)
    rows.delete_peer(ctx.conn, name)
    return len(held)


def _held(ctx: Context, peer: rows.PeerRow) -> dict[str, int]:
    counts = Counter(t for t, _ in _mirrors(ctx, peer))
    return dict(sorted(counts.items()))


def _mirrors(ctx: Context, peer: rows.PeerRow) -> list[tuple[str, str]]:
    """(type, id) of the live mirrors of the peer's own records (unless another peer relayed
    them last) and of those it relayed."""
    relayed = set(rows.relayed_held(ctx.conn, mirror.PULLED_TYPES, mirror.RELAYED_BY, None))
    own = [(t, i) for t, i in rows.mirrors_held(ctx.conn, mirror.origin_tag(peer.base))
           if t not in KEPT_ON_REMOVAL and (t, i) not in relayed]
    return own + rows.relayed_held(ctx.conn, mirror.PULLED_TYPES, mirror.RELAYED_BY,
                                   mirror.normalize_base(peer.base))


def _checked_base(base: str) -> str:
    try:
        return mirror.normalize_base(checked_base(base))
    except ValueError as bad:
        raise InvalidRequest(str(bad)) from None


# ---- the peer as an Endpoint -------------------------------------------------------------

EXTENSION = "https://telementoring.example.org/fhir/StructureDefinition/peer-sync-"
CONNECTION = {"system": "http://terminology.hl7.org/CodeSystem/endpoint-connection-type",
              "code": "hl7-fhir-rest"}
PAYLOAD = {"coding": [{"system": "http://hl7.org/fhir/resource-types", "code": "Bundle"}]}
NOT_ID = re.compile(r"[^A-Za-z0-9.-]")
MANAGING_KINDS = ("national-program", "hub")


def endpoint_id(name: str) -> str:
    """The id of a peer's Endpoint on this node (peer names may hold ``_``, ids may not)."""
    return "peer-" + NOT_ID.sub("-", name)


def endpoint(peer: rows.PeerRow, organization: str) -> dict[str, Any]:
    """The Endpoint that shows a peer over the API: its base, with the cursor, last success
    and last error in extensions (never its credentials), managed by ``organization``."""
    status: list[dict[str, Any]] = []
    if peer.cursor:
        status.append({"url": EXTENSION + "cursor", "valueString": peer.cursor})
    if peer.last_success:
        status.append({"url": EXTENSION + "last-success",
                       "valueInstant": instant(peer.last_success)})
    if peer.last_error:
        status.append({"url": EXTENSION + "last-error", "valueString": peer.last_error[:1000]})
    body: dict[str, Any] = {
        "resourceType": "Endpoint", "id": endpoint_id(peer.name),
        "status": "error" if peer.last_error else "active",
        "connectionType": CONNECTION, "name": peer.name, "payloadType": [PAYLOAD],
        "managingOrganization": {"reference": organization},
        "address": peer.base}
    if status:
        body["extension"] = status
    return body


def show(service: FhirService, name: str) -> None:
    """Write the peer's Endpoint as its row now stands (after each sync). The profile wants a
    hub or national program managing it: the peer's own, as pulled (its national program
    first, else its first hub); until one was pulled, there is no Endpoint yet."""
    peer = find(service.ctx, name)
    organization = _peer_organization(service, peer.base)
    if organization is not None:
        service.write([PendingWrite("Endpoint", endpoint_id(name),
                                    endpoint(peer, organization), "PUT")])


def _peer_organization(service: FhirService, base: str) -> str | None:
    for kind in MANAGING_KINDS:
        # the first stored: unsorted, PostgreSQL cuts the page from the index rows instead of
        # walking every Organization in id order
        _, result = service.search("Organization", {"_source:below": [base], "type": [kind],
                                                    "_count": ["1"]})
        if result.matches:
            return f"Organization/{result.matches[0].res_id}"
    return None
