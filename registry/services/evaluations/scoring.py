"""Scoring one QuestionnaireResponse against its instrument.

Wrong items are refused (an answer to an item the instrument does not have, an answer that
names no option, several answers to one item); missing answers are allowed: a knowledge item
left blank scores zero, a blank scale item is left out of the mean.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from registry.errors import Issue, error
from registry.services.evaluations.instruments import Instrument


@dataclass(frozen=True)
class Score:
    items: dict[str, float]  # link id -> points (1/0 for keyed items)
    total: float  # percent correct, or mean scale points


def score(instrument: Instrument, response: dict[str, Any]) -> tuple[Score | None, list[Issue]]:
    """The response's scores, or why it does not fit its instrument."""
    items: dict[str, float] = {}
    issues: list[Issue] = []
    for where, answered in _answered(response.get("item", []), "QuestionnaireResponse.item"):
        link = answered.get("linkId")
        item = instrument.item(link) if isinstance(link, str) else None
        answers = answered.get("answer", [])
        if item is None or not isinstance(link, str):
            issues.append(error("value", f"Item {link!r} is not in the instrument "
                                f"{instrument.url}", where))
        elif len(answers) > 1 or link in items:
            issues.append(error("value", f"Item {link!r} takes one answer", where))
        elif answers:
            points = item.score(answers[0].get("valueCoding", {}).get("code", ""))
            if points is None:
                issues.append(error("value", f"The answer to item {link!r} names none of its "
                                    "options", f"{where}.answer[0]"))
            else:
                items[link] = points
    if not items and not issues:
        issues.append(error("required", "The response answers no item of its instrument",
                            "QuestionnaireResponse.item"))
    if issues:
        return None, issues
    if instrument.keyed:
        items = {i.link_id: items.get(i.link_id, 0.0) for i in instrument.items}
    return Score(items, instrument.total(items) or 0.0), []


def _answered(items: list[dict[str, Any]], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Answered items with their FHIRPath, nested groups flattened."""
    for n, item in enumerate(items):
        path = f"{where}[{n}]"
        if "answer" in item:
            yield path, item
        yield from _answered(item.get("item", []), f"{path}.item")
