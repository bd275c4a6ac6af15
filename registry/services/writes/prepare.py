"""The prepare step: a write's structure (the R4B models) and the node's rules (profiles and
their terminology bindings). The one place that says what "valid" means for a write."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from registry.errors import InvalidRequest, Unprocessable
from registry.services.context import Context
from registry.services.validation import ValidResource, check_structure

if TYPE_CHECKING:  # the batch type only; the pipeline imports this module
    from registry.services.writes.pipeline import WriteBatch


def prepare(ctx: Context, body: Any, expected_type: str | None = None) -> str:
    """Check ``body`` for writing; returns its type. A ``ValidResource`` has had its structure
    checked already, before the transaction began."""
    if not isinstance(body, ValidResource):
        check_structure(body)
    res_type: str = body["resourceType"]
    if expected_type and res_type != expected_type:
        raise InvalidRequest(f"resourceType {res_type} does not match the URL type "
                             f"{expected_type}", "resourceType")
    ctx.resources.check_type(res_type)
    issues = [issue for rule in ctx.node.write_rules
              for issue in rule(body, ctx.resources.resolve)]
    if issues:
        raise Unprocessable(issues)
    return res_type


class PrepareStep:
    """Prepares every write of a batch that was not prepared when it was built."""

    def __call__(self, batch: WriteBatch) -> None:
        for write in batch.writes:
            if write.resource is not None and not write.prepared:
                prepare(batch.ctx, write.resource, write.res_type)
                write.prepared = True
