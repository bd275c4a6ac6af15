"""The context of one unit of work: its connection, the node, the caller and the audit trail.

A unit of work is one request, one CLI command or one sync page, and one transaction
(``registry.services.unit``). Every service is built from its ``Context``
(``registry.services.factory``), and the trail is a required part of it, so nothing a service
refuses or reads can escape the audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from registry.services.audit import AuditTrail
from registry.services.caller import Caller
from registry.services.node import Node
from registry.services.resources import Resources
from registry.storage.database import Connection


@dataclass
class Context:
    conn: Connection
    node: Node
    caller: Caller
    trail: AuditTrail
    base_url: str  # the public FHIR base this unit of work answers under
    resources: Resources = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.resources = Resources(self.conn, self.node)
