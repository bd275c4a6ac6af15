"""The node: what every service needs to know about this registry, fixed at start-up.

``Node`` is built once per application by the app factory (``registry.app``) and is frozen:
services read it, nothing writes into it. It holds the search parameters, the paging limits,
the node secret (keyed hashes of case subjects) and the components of the write pipeline
(``registry.services.writes``), registered in the order they run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.errors import Issue
from registry.services.search.parameters import SearchParameterRegistry
from registry.services.secret import NodeSecret
from registry.services.validation import BodyLimits

if TYPE_CHECKING:  # the steps are built on the node; they import it themselves
    from registry.services.writes.pipeline import WriteStep

# Finds the resource a literal reference ("Organization/1") points to, or None.
Resolver = Callable[[str], dict[str, Any] | None]
# A write rule looks at a resource about to be stored and returns what is wrong with it.
WriteRule = Callable[[dict[str, Any], Resolver], list[Issue]]


@dataclass(frozen=True)
class Node:
    """Node-wide facts and components; immutable after start-up."""

    search_parameters: SearchParameterRegistry
    secret: NodeSecret
    write_steps: tuple[WriteStep, ...] = ()
    write_rules: tuple[WriteRule, ...] = ()  # what the prepare step checks after structure
    base_url: str | None = None  # the configured public FHIR base; None: taken from requests
    key_path: Path | None = None  # the node's signing key (federation), created on first use
    default_count: int = 50
    max_count: int = 1000
    max_bundle_entries: int = 10_000
    max_array_items: int = 10_000
    disclosure_threshold: int = 11  # aggregate outcomes: counts below it are masked on release
    aggregators: frozenset[str] = frozenset()  # peers exact outcome figures may go to

    @property
    def body_limits(self) -> BodyLimits:
        return BodyLimits(self.max_array_items, self.max_bundle_entries)

    @property
    def resource_types(self) -> list[str]:
        return self.search_parameters.resource_types

    def supports(self, res_type: str) -> bool:
        return res_type in self.search_parameters.by_type
