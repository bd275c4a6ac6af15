"""History parameters (``_since``, ``_at``, ``_count``, ``_type``, ``_sort``, ``_cursor``) read
into a ``HistoryQuery`` for the store (``registry.storage.history``)."""

from __future__ import annotations

from collections.abc import Mapping

from registry.errors import InvalidRequest
from registry.services.node import Node
from registry.storage.history import HistoryQuery
from registry.storage.values import date_range

MAX_INTEGER = 2**63 - 1  # cursors and counts are 64-bit in the store


def parse_history_query(params: Mapping[str, list[str]], node: Node, *,
                        res_type: str | None = None, res_id: str | None = None) -> HistoryQuery:
    """Turn request parameters into a query; unknown parameters are ignored."""
    def one(name: str) -> str | None:
        values = params.get(name)
        return values[-1] if values else None

    sort = one("_sort")
    if sort not in (None, "_lastUpdated", "-_lastUpdated"):
        raise InvalidRequest("History _sort must be _lastUpdated or -_lastUpdated", "_sort")
    types = tuple(t for v in params.get("_type", []) for t in v.split(",") if t)
    for t in types:
        if not node.supports(t):
            raise InvalidRequest(f"Unknown resource type in _type: {t}", "_type")
    return HistoryQuery(
        res_type=res_type, res_id=res_id, types=types,
        since=_instant(one("_since"), "_since", low=True),
        at=_instant(one("_at"), "_at", low=False),
        count=_count(one("_count"), node),
        ascending=sort == "_lastUpdated",
        cursor=_cursor(one("_cursor")),
    )


def _instant(value: str | None, name: str, *, low: bool) -> int | None:
    if value is None:
        return None
    span = date_range(value)
    if span is None:
        raise InvalidRequest(f"{name} must be a FHIR instant, got {value!r}", name)
    return span[0] if low else span[1]


def _count(value: str | None, node: Node) -> int:
    if value is None:
        return node.default_count
    number = _int(value, "_count")
    assert number is not None
    return max(0, min(number, node.max_count))


def _cursor(value: str | None) -> tuple[int, int] | None:
    """``_cursor=<lastUpdated>.<seq>``, as the server writes it in ``next`` links."""
    if value is None:
        return None
    time_part, _, seq_part = value.partition(".")
    time_value, seq = _int(time_part, "_cursor"), _int(seq_part, "_cursor")
    if time_value is None or seq is None or time_value < 0 or seq < 0:
        raise InvalidRequest(f"_cursor must be the one a next link gives, got {value!r}",
                             "_cursor")
    return time_value, seq


def _int(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    digits = value[1:] if value.startswith("-") else value
    if not (digits.isascii() and digits.isdigit()) or abs(int(value)) > MAX_INTEGER:
        raise InvalidRequest(f"{name} must be an integer, got {value!r}", name)
    return int(value)
