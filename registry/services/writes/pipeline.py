"""The write pipeline: a batch of writes through the node's steps, then persisted.

Steps are components registered on the node (``Node.write_steps``) and run in that order:
prepare (structure, profiles, terminology), authorize (the policy, before anything is
transformed: refuse first, then process), transform (de-identification of cases; a transform
may add the writes it derives, such as a case's parts), audit (the batch's AuditEvent). Then
``persist`` stores versions, current rows, index rows and compartments. Everything happens in
the caller's transaction; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from registry.errors import Issue
from registry.services.context import Context
from registry.services.writes.pending import PendingWrite
from registry.services.writes.persist import persist
from registry.services.writes.prepare import prepare
from registry.storage.rows import Stored

if TYPE_CHECKING:  # access builds on the pipeline's batches; the pipeline only calls it
    from registry.services.access import Access


@dataclass
class WriteBatch:
    """One run of the pipeline: the writes asked for, what the steps add, what they noted."""

    ctx: Context
    access: Access
    writes: list[PendingWrite]
    notes: list[Issue] = field(default_factory=list)  # what transforms changed, for the caller

    @property
    def asked(self) -> list[PendingWrite]:
        """The writes that were asked for, not the ones steps derived or the records."""
        return [w for w in self.writes if not (w.record or w.derived)]


class WriteStep(Protocol):
    """A component of the write pipeline: looks at (and may refuse, change or extend) a batch."""

    def __call__(self, batch: WriteBatch) -> None: ...


@dataclass
class WriteResult:
    stored: list[Stored]  # one per write asked for, in order
    notes: list[Issue]


@dataclass
class WritePipeline:
    """The pipeline for one unit of work (its context and the caller's access)."""

    ctx: Context
    access: Access

    def prepare(self, body: Any, expected_type: str | None = None) -> str:
        """Check a resource for writing (structure, then the node's rules); returns its type."""
        return prepare(self.ctx, body, expected_type)

    def run(self, writes: Sequence[PendingWrite]) -> WriteResult:
        batch = WriteBatch(self.ctx, self.access, list(writes))
        self.ctx.resources.forget_resolved()  # what was resolved may be about to change
        fill_current(self.ctx, batch.writes)
        for step in self.ctx.node.write_steps:
            step(batch)
        stored = persist(self.ctx, batch.writes)
        self.access.forget()
        asked = {id(w) for w in batch.asked}
        return WriteResult([s for w, s in zip(batch.writes, stored, strict=True)
                            if id(w) in asked], batch.notes)


def fill_current(ctx: Context, writes: Sequence[PendingWrite]) -> None:
    """Look up the current row of every write that may replace one (one query per type)."""
    by_type: dict[str, list[PendingWrite]] = {}
    for w in writes:
        if w.current is None and not w.fresh:
            by_type.setdefault(w.res_type, []).append(w)
    for res_type, group in by_type.items():
        found = ctx.resources.current(res_type, [w.res_id for w in group])
        for w in group:
            w.current = found.get(w.res_id)
