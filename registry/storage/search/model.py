"""What a search asks, as the index understands it: parameters, criteria, includes, paging.

The services parse request parameters into a ``SearchQuery`` (``registry.services.search``);
the storage compiles it to SQL over the index tables (``registry.storage.search.engine``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")


@dataclass(frozen=True)
class SearchParameter:
    code: str
    type: str  # string | token | reference | date | number | quantity | uri | special
    expression: str
    bases: tuple[str, ...]
    targets: tuple[str, ...] = ()
    url: str = ""
    description: str = ""
    # Selects the JSON nodes the parameter indexes (compiled from ``expression`` by the
    # services; the index only stores what it yields).
    extract: Callable[[dict[str, Any]], list[Any]] = field(compare=False, repr=False,
                                                            default=lambda r: [])

    @property
    def index_kind(self) -> str:
        """Which index table holds this parameter's values."""
        return "position" if self.type == "special" else self.type


@dataclass(frozen=True)
class Chain:
    """``organization.name=x``: the reference parameter followed and the target's parameter."""

    reference: SearchParameter
    target_types: tuple[str, ...]
    source_type: str  # the searched type, which holds the reference


@dataclass(frozen=True)
class ReverseChain:
    """``_has:PractitionerRole:practitioner:role=tutor``; may follow one chain step:
    ``organization._has:HealthcareService:organization:_id=P`` (roles at the hub of program P).
    """

    source_type: str
    reference_code: str


@dataclass(frozen=True)
class Criterion:
    param: SearchParameter
    modifier: str | None
    values: tuple[str, ...]  # OR-ed
    res_type: str  # the type ``param`` belongs to (the chain target for chained criteria)
    chain: Chain | None = None
    reverse: ReverseChain | None = None


@dataclass(frozen=True)
class Include:
    source_type: str
    param_code: str | None  # None for "*"
    target_type: str | None
    iterate: bool = False


@dataclass
class SearchQuery:
    res_type: str
    criteria: list[Criterion] = field(default_factory=list)
    # (code, descending, index kind; None for _id and _lastUpdated)
    sort: list[tuple[str, bool, str | None]] = field(default_factory=list)
    count: int = 50
    offset: int = 0
    includes: list[Include] = field(default_factory=list)
    revincludes: list[Include] = field(default_factory=list)
    summary: str | None = None
    total: str | None = None
    elements: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def split_prefix(value: str) -> tuple[str, str]:
    """'ge2024-01-01' -> ('ge', '2024-01-01'); no prefix means eq."""
    if len(value) > 2 and value[:2] in PREFIXES and not value[2].isalpha():
        return value[:2], value[2:]
    return "eq", value
