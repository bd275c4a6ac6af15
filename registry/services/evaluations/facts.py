"""Paired changes for the outcomes measures (knowledge gain, self-efficacy change).

One ``PairedChange`` per mentee and instrument whose post response was authored in the
period, paired with their latest pre response: read from the score facts, never from
response JSON. ``mentee_key`` is the row key of the mentee's PractitionerRole on this node:
opaque, neither a name nor an identifier, and meaningless on any other node.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from registry.services.evaluations.pairing import by_instrument, pair
from registry.storage.evaluations import score_rows

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class PairedChange:
    instrument: str  # Questionnaire canonical url
    hub: str  # "Organization/<id>" of the hub
    program: str | None  # "HealthcareService/<id>"
    cohort: str | None  # "Group/<id>"
    mentee_key: str  # opaque per-node key, never a name or identifier
    pre: float
    post: float
    completed: date  # date of the post response
    kind: str  # the instrument's kind: knowledge, self-efficacy, ...
    role: str  # "PractitionerRole/<id>": for strata on this node, never sent elsewhere


def paired_changes(conn: Connection, *, start: date, end: date,
                   hub: str | None = None) -> list[PairedChange]:
    """Changes of mentees whose post response falls in [start, end], optionally of one hub
    ("Organization/<id>" or the bare id). Pre responses may be older than the period."""
    hub_id = hub.split("/", 1)[1] if hub and "/" in hub else hub
    rows = score_rows(conn, hub=hub_id, end=end)
    found = []
    for rows_of_instrument in by_instrument(rows).values():
        for pre, post in pair(rows_of_instrument).matched:
            if start <= post.authored <= end and post.hub:
                found.append(PairedChange(
                    post.instrument, f"Organization/{post.hub}", post.program, post.cohort,
                    f"m{post.mentee_pk}", pre.score, post.score, post.authored, post.kind,
                    f"PractitionerRole/{post.mentee}"))
    return sorted(found, key=lambda c: (c.instrument, c.completed, c.mentee_key))
