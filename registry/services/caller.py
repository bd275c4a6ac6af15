"""Who is asking: resolved from a bearer token, or the node itself for CLI commands."""

from __future__ import annotations

from dataclasses import dataclass

from registry.services.policy import NODE_ROLE


@dataclass(frozen=True)
class Caller:
    """Who is asking, and what their token binds them to."""

    name: str
    role: str
    binding: str | None = None  # "Organization/ID" or an ISO 3166 country code
    token_id: int | None = None
    address: str | None = None
    scopes: tuple[str, ...] | None = None  # SMART system scopes of the token; None: the role's

    @classmethod
    def system(cls, name: str = "system") -> Caller:
        """The node itself (CLI commands, migrations, demo loading)."""
        return cls(name=name, role="network-admin")

    @classmethod
    def node(cls, name: str = "conformance") -> Caller:
        """The node storing its own conformance resources (what no token may write)."""
        return cls(name=name, role=NODE_ROLE)
