"""The release ledger's records: who released what, when, to whom, under which thresholds.

A record names the reports released (id and version) and carries a SHA-256 over the
canonical JSON (RFC 8785) of exactly what was released, in a stable order, so anyone holding
the released reports can check them against the ledger. Releasing a period again with other
figures makes a new version of the release that names the one it supersedes; releasing the
same figures again makes none. Storing records is the storage layer's; this is the pure part.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import rfc8785

from registry.errors import Forbidden
from registry.services.outcomes.disclosure import Policy

PUBLIC = "public"


@dataclass(frozen=True)
class ReleaseRecord:
    """One release: ``audience`` is ``public`` or the name of the aggregator peer."""

    period: str
    audience: str
    exact: bool  # unsuppressed figures (only ever to a named aggregator)
    released_by: str
    released_at: str  # FHIR instant
    threshold: int
    magnitude_ratio: float
    reports: tuple[tuple[str, str], ...]  # (MeasureReport id, versionId)
    sha256: str
    version: int = 1
    supersedes: str | None = None  # sha256 of the release this one revises

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def release_hash(reports: Sequence[Mapping[str, Any]]) -> str:
    """SHA-256 of the canonical JSON of the reports, ordered by measure, subject and period."""
    ordered = sorted(reports, key=_order)
    return hashlib.sha256(rfc8785.dumps([dict(r) for r in ordered])).hexdigest()


def record_release(reports: Sequence[Mapping[str, Any]], *, period: str, audience: str,
                   exact: bool, released_by: str, released_at: str, policy: Policy,
                   versions: Sequence[tuple[str, str]], aggregators: frozenset[str] = frozenset(),
                   previous: ReleaseRecord | None = None) -> ReleaseRecord | None:
    """The record of a release; None when ``previous`` already released exactly this.

    Exact figures go only to a peer named as this node's aggregator (Forbidden otherwise).
    """
    if exact and (audience == PUBLIC or audience not in aggregators):
        raise Forbidden(f"Exact figures may only be released to this node's aggregator, "
                        f"not to {audience!r}")
    digest = release_hash(reports)
    if previous is not None and previous.sha256 == digest:
        return None
    return ReleaseRecord(
        period=period, audience=audience, exact=exact, released_by=released_by,
        released_at=released_at, threshold=policy.threshold,
        magnitude_ratio=policy.magnitude_ratio, reports=tuple(versions), sha256=digest,
        version=previous.version + 1 if previous else 1,
        supersedes=previous.sha256 if previous else None)


def _order(report: Mapping[str, Any]) -> tuple[str, str, str, str]:
    period = report.get("period") or {}
    return (str(report.get("measure", "")), str((report.get("subject") or {}).get("reference")),
            str(period.get("start", "")), str(period.get("end", "")))
