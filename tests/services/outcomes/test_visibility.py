"""Who sees exact and who sees suppressed figures (a hand-written matrix)."""

from __future__ import annotations

import pytest

from registry.services.outcomes.visibility import Caller, Outcome, View, view_of

HUB = "Organization/hub-1"
OTHER = "Organization/hub-2"
PENDING = Outcome(subject=HUB, country="KE", released=False)
RELEASED = Outcome(subject=HUB, country="KE", released=True, exact_to=frozenset({"national"}))

E, S, N = View.EXACT, View.SUPPRESSED, View.NONE


@pytest.mark.parametrize(("caller", "pending", "released"), [
    (Caller("network-admin"), E, E),
    (Caller("hub-admin", organization=HUB), E, E),
    (Caller("hub-admin", organization=OTHER), N, S),
    (Caller("national-program", country="KE"), N, S),
    (Caller("national-program", country="UG"), N, N),
    (Caller("global-viewer"), N, S),
    (Caller("peer", peer="national"), N, E),
    (Caller("peer", peer="someone-else"), N, S),
    (Caller("spoke-clinician", organization=HUB), N, N),
])
def test_view_matrix(caller: Caller, pending: View, released: View) -> None:
    assert view_of(caller, PENDING) == pending
    assert view_of(caller, RELEASED) == released
