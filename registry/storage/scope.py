"""What a caller may reach, as SQL over the compartment table.

The policy (``registry.services.policy``) decides, per role and resource type, how far an
interaction reaches: a ``Restriction``. This module is the one place that turns a restriction
into SQL, so searches, totals, includes, chains, history and exports hide exactly what the
policy says, inside the statement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from registry.storage.tables import resource_compartment

Condition = sa.ColumnElement[bool]
rc = resource_compartment.c


class Reach(StrEnum):
    NONE = "-"
    ALL = "all"
    PUBLISHED = "published"
    HUB = "hub"
    SPOKE = "spoke"
    COUNTRY = "country"


@dataclass(frozen=True)
class Restriction:
    """How far a caller reaches into one resource type, and the compartment it holds."""

    reach: Reach
    held: str | None = None  # the hub, spoke or country id, for those reaches


# What a caller may reach of each resource type.
Restrictions = Callable[[str], Restriction]
# SQL restricting rows of a type to what the caller may reach: (res_type, pk column) -> SQL.
SqlScope = Callable[[str, sa.ColumnElement[Any]], Condition | None]
_COLUMNS = {Reach.HUB: rc.hub, Reach.SPOKE: rc.spoke, Reach.COUNTRY: rc.country}


def condition(restriction: Restriction, pk: sa.ColumnElement[Any]) -> Condition | None:
    """SQL restricting ``pk`` (a resource.pk column) to the restriction; None when nothing
    needs restricting."""
    if restriction.reach is Reach.ALL:
        return None
    if restriction.reach is Reach.NONE:
        return sa.false()
    if restriction.reach is Reach.PUBLISHED:
        return pk.in_(sa.select(rc.resource_pk).where(rc.published.is_(True)))
    if restriction.held is None:
        return sa.false()
    column = _COLUMNS[restriction.reach]
    return pk.in_(sa.select(rc.resource_pk).where(column == restriction.held))


def sql_scope(restrictions: Restrictions) -> SqlScope:
    return lambda res_type, pk: condition(restrictions(res_type), pk)


def types_condition(restrictions: Restrictions, types: Iterable[str],
                    type_column: sa.ColumnElement[Any], pk: sa.ColumnElement[Any],
                    peer_view: sa.ColumnElement[Any] | None = None) -> Condition | None:
    """``condition`` over rows of several types (system history, chains, includes), one
    branch per distinct restriction so the SQL stays small whatever the number of types.
    ``peer_view`` (history only): judge published reach by each version's own view."""
    by_restriction: dict[Restriction, list[str]] = {}
    for res_type in types:
        by_restriction.setdefault(restrictions(res_type), []).append(res_type)
    if all(r.reach is Reach.ALL for r in by_restriction):
        return None
    branches = []
    for restriction, grouped in by_restriction.items():
        if restriction.reach is Reach.NONE:
            continue
        if restriction.reach is Reach.PUBLISHED and peer_view is not None:
            restricted: Condition | None = peer_view > 0  # history: per version, withdrawals too
        else:
            restricted = condition(restriction, pk)
        in_types = type_column.in_(sorted(grouped))
        branches.append(in_types if restricted is None else sa.and_(in_types, restricted))
    return sa.or_(*branches) if branches else sa.false()
