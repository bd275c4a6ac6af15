"""The write pipeline's audit step, and the node's own records written as it writes them."""

from __future__ import annotations

from collections.abc import Sequence

from registry.services.audit import (
    INTERACTION_OF_METHOD,
    LIFECYCLE,
    SUCCESS,
    AuditEntity,
    AuditRecord,
    audit_event,
)
from registry.services.caller import Caller
from registry.services.writes.pending import PendingWrite, new_id
from registry.services.writes.pipeline import WriteBatch


class AuditStep:
    """One AuditEvent per batch, written with it: a rolled-back write leaves none."""

    def __call__(self, batch: WriteBatch) -> None:
        recorded = [w for w in batch.writes if not w.record]
        if recorded:
            batch.writes.append(write_event(batch.ctx.caller, recorded, batch.ctx.base_url))


def write_event(caller: Caller, writes: Sequence[PendingWrite], base_url: str) -> PendingWrite:
    """The AuditEvent of one batch, to be written with it (one per batch)."""
    methods = {w.method for w in writes}
    interaction = (INTERACTION_OF_METHOD[methods.pop()] if len(methods) == 1
                   and len(writes) == 1 else "transaction")
    entities = tuple(AuditEntity(f"{w.reference}/_history/{w.next_version}",
                                 LIFECYCLE[w.method]) for w in writes)
    return _pending(AuditRecord(interaction, SUCCESS, caller, caller.address, entities),
                    base_url)


def _pending(record: AuditRecord, base_url: str) -> PendingWrite:
    return PendingWrite("AuditEvent", new_id(), audit_event(record, base_url), "POST",
                        fresh=True, prepared=True, record=True)


def as_writes(records: Sequence[AuditRecord], base_url: str) -> list[PendingWrite]:
    """Recorded events (refusals, reads of case data) as the writes that store them."""
    return [_pending(r, base_url) for r in records]
