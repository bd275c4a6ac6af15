"""What a peer's ``_history`` shows for a write: the one rule of the withdrawal signal.

A peer pulls only what it may see (published directory entries, Measures, MeasureReports).
Silence cannot tell a puller that a record left its view, so the view's edges are entries:

=================  =================  ==========================================================
seen before        seen after         the peer's history shows
=================  =================  ==========================================================
no                 no                 nothing: the peer never knew the record
yes                yes                the new version (an update; ``active: false`` included)
yes                no                 a DELETE entry without a resource: the *withdrawal signal*
                                      (deleted, ``published`` tag removed, moved out of view)
no                 yes                the new version in full (published again, or moved in)
=================  =================  ==========================================================

"Seen" is the policy's answer for that peer about that version (a deletion is never seen).
The rule looks only at the two sides of one write, so history stays a pure function of stored
versions: the puller deletes its mirror on the DELETE and recreates it, under the same mirror
id, when the record is published again.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any


class PeerEntry(StrEnum):
    NOTHING = "nothing"
    VERSION = "version"
    DELETE = "delete"


def peer_entry(seen_before: bool, seen_after: bool) -> PeerEntry:
    """What a peer's history shows for one write, from what it could see on either side."""
    if seen_after:
        return PeerEntry.VERSION
    return PeerEntry.DELETE if seen_before else PeerEntry.NOTHING


def peer_history(seen: Iterable[bool]) -> list[PeerEntry]:
    """The entries of one record's versions, oldest first, given what the peer saw of each."""
    entries, before = [], False
    for after in seen:
        entries.append(peer_entry(before, after))
        before = after
    return entries


def withdrawal_entry(base_url: str, res_type: str, res_id: str, version_id: str,
                     last_modified: str) -> dict[str, Any]:
    """The history entry of a withdrawal: shaped like a deletion's, with no resource."""
    path = f"{res_type}/{res_id}"
    return {"fullUrl": f"{base_url}/{path}",
            "request": {"method": "DELETE", "url": path},
            "response": {"status": "204 No Content", "etag": f'W/"{version_id}"',
                         "lastModified": last_modified}}
