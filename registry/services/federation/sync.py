"""Pulling from peers: gather (history pages) -> fetch (each page) -> import (each entry).

Learned from IHE mCSD's Update Client and CKAN's harvester, and doing better than GOFR:

- the cursor is the peer's own high-water mark (``HistoryPage.cursor``), never this node's
  clock, and it moves only in the transaction that applied the page, so a failure anywhere
  leaves it where it was and the next run resumes from it;
- each page is one transaction; each entry is applied under a savepoint, so a record that
  cannot be applied (invalid, refused by a profile) is rolled back alone, recorded as a sync
  error (a row, and an AuditEvent with a failure outcome naming the remote record) and the
  rest of its page is applied;
- deletions and withdrawals (a DELETE entry) delete the mirror: searches stop finding it, a
  read answers 410, its history stays;
- a version already mirrored (same remote version in ``meta.source``) writes nothing, so a
  page applied twice changes nothing;
- every write goes through the one write pipeline, as the sync caller, which is the only one
  the mirror guard lets change a mirror.

A peer that fails (down, slow, 401, 429 beyond the retry budget, garbage, a ``next`` link off
its base) stops that peer's run with one line; other peers are still pulled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from adapters.fhir_peer import (
    BackendServices,
    BearerToken,
    Credentials,
    HistoryEntry,
    HistoryPage,
    PeerClient,
    PeerError,
    Timeouts,
)
from registry.errors import Conflict, RegistryError
from registry.services.audit import FAILED, SUCCESS, AuditTrail
from registry.services.caller import Caller
from registry.services.federation import keys, mirror, peers, review
from registry.services.federation.assertions import build_client_assertion
from registry.services.federation.readonly import SYNC_CALLER, mirror_origin
from registry.services.fhir import FhirService
from registry.services.node import Node
from registry.services.unit import unit_of_work
from registry.services.writes.pending import PendingWrite
from registry.storage import federation as rows
from registry.storage.database import Database
from registry.storage.resources import read_current
from registry.storage.rows import Stored
from registry.storage.values import instant

# What a peer exposes to peers: the published directory and aggregate outcomes. Not the
# Measures: every node ships the same indicators (``schemas/measures``, stored by the node
# itself on ``registry db upgrade``), and a report names its Measure by canonical URL.
PULLED_TYPES = ("Organization", "Location", "OrganizationAffiliation", "Practitioner",
                "PractitionerRole", "HealthcareService", "Endpoint", "MeasureReport")
PAGE_SIZE = 200


@dataclass
class SyncReport:
    """What one run did for one peer; ``failure`` is the one line of a run that stopped."""

    peer: str
    pulled: int = 0
    applied: int = 0
    removed: int = 0
    errors: int = 0
    failure: str | None = None
    pages: int = 0
    queued: int = 0  # duplicate pairs queued for review

    def line(self) -> str:
        head = (f"{self.peer}: pulled {self.pulled}, applied {self.applied}, "
                f"removed {self.removed}, errors {self.errors}, duplicates {self.queued}")
        return f"{head}; FAILED: {self.failure}" if self.failure else head


@dataclass
class Syncer:
    """Pulls from peers into this node's database, one page per unit of work."""

    database: Database
    node: Node
    base_url: str  # this node's own FHIR base (Provenance, audit)
    transport: Callable[[str], httpx.BaseTransport | None] = field(default=lambda _: None)
    timeouts: Timeouts = Timeouts()
    sleep: Callable[[float], None] = time.sleep
    progress: Callable[[str, int], None] = field(default=lambda _peer, _count: None)

    def sync(self, peer: rows.PeerRow) -> SyncReport:
        report = SyncReport(peer.name)
        try:
            with self._client(peer) as client:
                cursor = peer.cursor
                for page in client.history(cursor, PULLED_TYPES, PAGE_SIZE):
                    self._apply(peer, page, report)
                    self.progress(peer.name, report.pulled)
        except (PeerError, ValueError, keys.NodeKeyError) as failure:
            report.failure = str(failure)
            self._failed(peer, report.failure)
        self._show(peer)
        return report

    def _show(self, peer: rows.PeerRow) -> None:
        """The peer's Endpoint as the run left it (cursor, last success, last error)."""
        with unit_of_work(self.database, self.node, Caller.system(SYNC_CALLER), AuditTrail(),
                          self.base_url, write=True) as service:
            peers.show(service, peer.name)

    def _client(self, peer: rows.PeerRow) -> PeerClient:
        return PeerClient(peer.base, self._credentials(peer), transport=self.transport(peer.base),
                          timeouts=self.timeouts, sleep=self.sleep)

    def _credentials(self, peer: rows.PeerRow) -> Credentials | None:
        if peer.token:
            return BearerToken(peer.token)
        if peer.client_id:
            key_path = self.node.key_path
            if key_path is None:
                raise keys.NodeKeyError("this node has no key path configured")
            key = keys.load_or_create(key_path)
            client_id = peer.client_id
            return BackendServices(client_id, lambda url: build_client_assertion(
                key, client_id, url))
        return None

    # ---- one page: one transaction ------------------------------------------------------

    def _apply(self, peer: rows.PeerRow, page: HistoryPage, report: SyncReport) -> None:
        caller = Caller.system(SYNC_CALLER)
        with unit_of_work(self.database, self.node, caller, AuditTrail(), self.base_url,
                          write=True) as service:
            rows.begin_page(service.ctx.conn)
            importer = PageImport(service, peer, self.base_url, report)
            importer.run(page)
            rows.advance_peer(service.ctx.conn, peer.name, page.cursor, _now())
            service.ctx.trail.federation(
                caller, "history-system", SUCCESS,
                description=f"pulled {len(page.entries)} entries from {peer.name} "
                            f"({page.url})")
        report.pages += 1

    def _failed(self, peer: rows.PeerRow, reason: str) -> None:
        caller = Caller.system(SYNC_CALLER)
        trail = AuditTrail()
        with unit_of_work(self.database, self.node, caller, trail, self.base_url,
                          write=True) as service:
            rows.fail_peer(service.ctx.conn, peer.name, reason)
            rows.insert_error(service.ctx.conn, peer.name, "fetch", None, reason, _now())
            trail.federation(caller, "history-system", FAILED,
                             description=f"sync from {peer.name} failed: {reason}")


@dataclass
class PageImport:
    """The import stage of one page: all its records in one pipeline run under a savepoint;
    when that is refused, each record again under its own savepoint, so one bad record is
    recorded and the rest of the page still applied."""

    service: FhirService
    peer: rows.PeerRow
    base_url: str
    report: SyncReport
    changed: list[dict[str, Any]] = field(default_factory=list)

    def run(self, page: HistoryPage) -> None:
        for problem in page.problems:
            self._error(problem.full_url, f"entry {problem.index}: {problem.reason}")
        latest: dict[tuple[str, str], HistoryEntry] = {}
        for entry in page.entries:  # oldest first: the last one of a record wins
            latest.pop((entry.res_type, entry.res_id), None)
            latest[(entry.res_type, entry.res_id)] = entry
        self.report.pulled += len(page.entries) + len(page.problems)
        planned = [(entry, writes) for entry in latest.values()
                   if (writes := self._planned(entry))]
        if self._apply([w for _, group in planned for w in group]):
            self._count(planned)
        else:
            for entry, writes in planned:
                self._one_by_one(entry, writes)
        self._review()

    def _apply(self, writes: list[PendingWrite]) -> bool:
        """The whole page in one run (on copies: a refused run leaves the writes as planned)."""
        if not writes:
            return True
        try:
            with rows.savepoint(self.service.ctx.conn):
                self.service.write([replace(w, current=None, compartment=None,
                                            compartment_known=False) for w in writes])
        except RegistryError:
            return False
        return True

    def _one_by_one(self, entry: HistoryEntry, writes: list[PendingWrite]) -> None:
        """A record refused on its own: recorded with the reason, never silently dropped."""
        try:
            with rows.savepoint(self.service.ctx.conn):
                self.service.write(writes)
        except RegistryError as refused:
            self._error(self._remote(entry), str(refused))
            return
        self._count([(entry, writes)])

    def _count(self, applied: list[tuple[HistoryEntry, list[PendingWrite]]]) -> None:
        for entry, writes in applied:
            if entry.resource is None:
                self.report.removed += 1
            else:
                self.report.applied += 1
                if writes[0].resource is not None:
                    self.changed.append(writes[0].resource)

    def _review(self) -> None:
        """Queue suspected duplicates among what this page changed (never merged)."""
        if not self.changed:
            return
        try:
            with rows.savepoint(self.service.ctx.conn):
                self.report.queued += review.queue(self.service, self.changed, self.base_url,
                                                   _now())
        except RegistryError as failed:
            self._error(None, f"duplicate review: {failed}")

    def _remote(self, entry: HistoryEntry) -> str:
        return entry.full_url or f"{self.peer.base}/{entry.res_type}/{entry.res_id}"

    def _planned(self, entry: HistoryEntry) -> list[PendingWrite]:
        """The writes that apply one entry (none when it changes nothing); a record that
        cannot be applied is recorded here and plans nothing."""
        try:
            return self._deletion(entry) if entry.resource is None else self._version(entry)
        except RegistryError as refused:
            self._error(self._remote(entry), str(refused))
            return []

    def _version(self, entry: HistoryEntry) -> list[PendingWrite]:
        """The mirror's new version and its Provenance."""
        assert entry.resource is not None
        pulled = mirror.PulledVersion(self.peer.base, entry.res_type, entry.res_id,
                                      entry.version_id or "0")
        wanted = mirror.source(self.peer.base, entry.version_id)
        current = read_current(self.service.ctx.conn, entry.res_type, pulled.local_id)
        if self._mirrored(current, wanted):
            return []
        version = 1 if current is None else current.version + 1
        provenance = mirror.provenance(
            pulled, str(version), self._peer_agent(), self._node_agent(),
            recorded=instant(rows.page_time(self.service.ctx.conn)),
            operation="CREATE" if current is None or current.deleted else "UPDATE")
        return [PendingWrite(entry.res_type, pulled.local_id,
                             mirror.to_mirror(entry.resource, pulled), "PUT"),
                # built here, like an audit record: the node's own, not checked again
                PendingWrite("Provenance", provenance["id"], provenance, "PUT", prepared=True)]

    def _deletion(self, entry: HistoryEntry) -> list[PendingWrite]:
        local_id = mirror.mirror_id(self.peer.base, entry.res_id)
        current = read_current(self.service.ctx.conn, entry.res_type, local_id)
        if current is None or current.deleted:
            return []
        return [PendingWrite(entry.res_type, local_id, None, "DELETE")]

    def _mirrored(self, current: Stored | None, wanted: str) -> bool:
        """Whether the mirror holds this remote version already; ``Conflict`` when the id is
        taken by a record that is not a mirror of this peer (never overwritten)."""
        if current is None or current.deleted or current.content is None:
            return False
        held = current.resource()
        if mirror_origin(held) != mirror.normalize_base(self.peer.base):
            raise Conflict(f"{current.reference} is a local record, not a mirror of "
                           f"{self.peer.name}; it is not overwritten")
        return (held.get("meta") or {}).get("source") == wanted

    def _peer_agent(self) -> mirror.Agent:
        return mirror.Agent(self.peer.base, self.peer.name,
                            f"Endpoint/{peers.endpoint_id(self.peer.name)}")

    def _node_agent(self) -> mirror.Agent:
        return mirror.Agent(self.base_url, "this node")

    def _error(self, remote: str | None, reason: str) -> None:
        ctx = self.service.ctx
        rows.insert_error(ctx.conn, self.peer.name, "import", remote, reason, _now())
        ctx.trail.federation(ctx.caller, "history-system", FAILED,
                             references=[remote] if remote else [],
                             description=f"could not apply a record from {self.peer.name}: "
                                         f"{reason}")
        self.report.errors += 1


def _now() -> int:
    return time.time_ns() // 1000
