"""Regular-expression recognizers: every pattern of scrub.json, with its validator."""

from __future__ import annotations

from .config import pattern_rules
from .findings import Finding
from .validators import VALIDATORS


def find_patterns(text: str) -> list[Finding]:
    found: list[Finding] = []
    for rule in pattern_rules():
        check = VALIDATORS[rule.validator] if rule.validator else None
        for match in rule.regex.finditer(text):
            start, end = match.span(rule.group)
            if start < 0 or start == end:
                continue
            span = check(text, start, end) if check else (start, end)
            if span is not None:
                found.append(Finding(span[0], span[1], rule.kind, rule.priority))
    return found
