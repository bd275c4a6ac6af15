"""What every service call needs besides the connection: the node and the caller.

``Node`` is built once per application from the settings (search parameters, write rules);
``Caller`` is who is asking, resolved from the bearer token. Services take both explicitly
so that the same code serves HTTP, CLI and background jobs alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from registry.errors import Issue
from registry.services.search.parameters import SearchParameterRegistry

# Finds the resource a literal reference ("Organization/1") points to, or None.
Resolver = Callable[[str], dict[str, Any] | None]
# A write rule looks at a resource about to be stored and returns what is wrong with it.
WriteRule = Callable[[dict[str, Any], Resolver], list[Issue]]


@dataclass(frozen=True)
class Caller:
    """Who is asking, and what their token binds them to."""

    name: str
    role: str
    binding: str | None = None  # "Organization/ID" or an ISO 3166 country code
    token_id: int | None = None
    address: str | None = None

    @classmethod
    def system(cls, name: str = "system") -> Caller:
        """The node itself (CLI commands, migrations, demo loading)."""
        return cls(name=name, role="network-admin")


@dataclass(frozen=True)
class Node:
    """Node-wide facts the services need; immutable after start-up."""

    base_url: str
    search_parameters: SearchParameterRegistry
    write_rules: tuple[WriteRule, ...] = ()
    default_count: int = 50
    max_count: int = 1000
    max_bundle_entries: int = 10_000
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def resource_types(self) -> list[str]:
        return self.search_parameters.resource_types

    def supports(self, res_type: str) -> bool:
        return res_type in self.search_parameters.by_type
