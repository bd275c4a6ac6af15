"""Who sees which figures of an aggregate outcome: exact, suppressed, or none.

- network-admin sees exact figures, pending or released;
- a hub-admin sees the exact figures of reports about their own hub;
- the peer a node names as its aggregator sees the exact figures released to it;
- everyone else allowed to read outcomes (other hub-admins, national-program for its own
  country, global-viewer, peer) sees only released, suppressed reports; before a release,
  nothing (the API answers 404).

Whether a role may read outcomes at all is the policy table's (``registry.services.policy``);
this decides between exact and suppressed once it may.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class View(StrEnum):
    EXACT = "exact"
    SUPPRESSED = "suppressed"
    NONE = "none"


@dataclass(frozen=True)
class Caller:
    role: str
    organization: str | None = None  # hub-admin: their hub's reference
    country: str | None = None  # national-program: ISO 3166-1 alpha-2
    peer: str | None = None  # peer: its name on this node


@dataclass(frozen=True)
class Outcome:
    """What the decision needs to know of a report."""

    subject: str  # reference of the report's subject
    country: str | None  # the subject's country
    released: bool  # a suppressed version was released publicly
    exact_to: frozenset[str] = frozenset()  # peers the exact version was released to


def view_of(caller: Caller, outcome: Outcome) -> View:
    """Which version of the report the caller gets."""
    if caller.role == "network-admin":
        return View.EXACT
    if caller.role == "hub-admin" and caller.organization == outcome.subject:
        return View.EXACT
    if caller.role == "peer" and caller.peer in outcome.exact_to:
        return View.EXACT
    if not outcome.released or caller.role not in _SUPPRESSED_READERS:
        return View.NONE
    if caller.role == "national-program" and caller.country != outcome.country:
        return View.NONE
    return View.SUPPRESSED


_SUPPRESSED_READERS = frozenset({"hub-admin", "national-program", "global-viewer", "peer"})
