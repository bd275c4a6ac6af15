"""Who opens a hub's dashboard pages: the rule in ``policy.HUB_PAGES``, role by role."""

from __future__ import annotations

import pytest

from registry.services.policy import ROLES, Subject, opens_hub_pages
from registry.storage.compartments import Compartment

PERU_HUB = Compartment(hub="hub-pe", country="PE")
SPAIN_HUB = Compartment(hub="hub-es", country="ES")
SUBJECTS = {
    "network-admin": Subject("network-admin"),
    "hub-admin": Subject("hub-admin", hub="hub-pe", country="PE"),
    "spoke-clinician": Subject("spoke-clinician", hub="hub-pe", spoke="spoke-1", country="PE"),
    "national-program": Subject("national-program", country="PE"),
    "global-viewer": Subject("global-viewer"),
    "peer": Subject("peer"),
}
OPENS = {  # role: (its own Peruvian hub, the Spanish hub)
    "network-admin": (True, True),
    "hub-admin": (True, False),
    "spoke-clinician": (False, False),
    "national-program": (True, False),
    "global-viewer": (False, False),
    "peer": (False, False),
}


@pytest.mark.parametrize("role", ROLES)
def test_who_opens_which_hubs_pages(role: str) -> None:
    subject = SUBJECTS[role]
    assert (opens_hub_pages(subject, PERU_HUB), opens_hub_pages(subject, SPAIN_HUB)) == OPENS[role]


def test_a_resource_without_a_hub_opens_only_to_network_admins() -> None:
    assert [r for r in ROLES if opens_hub_pages(SUBJECTS[r], None)] == ["network-admin"]
