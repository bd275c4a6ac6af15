"""Evaluating compiled element rules against a resource: cardinality, fixed and pattern
values, required bindings, reference targets and extension slices. Every issue names the
offending element by a FHIRPath expression with indices."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from registry.errors import Issue, error
from registry.services import terminology
from registry.services.profiles.definitions import ElementRule, ProfileCatalog
from registry.services.profiles.paths import Node, child_expression, children, descend
from registry.services.profiles.selection import Resolver, conformance_claims

LITERAL_REFERENCE = re.compile(
    r"(?:^|/)([A-Z][A-Za-z]+)/[A-Za-z0-9\-.]{1,64}(?:/_history/[A-Za-z0-9\-.]{1,64})?$")


@dataclass(frozen=True)
class Context:
    catalog: ProfileCatalog
    resolve: Resolver | None


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def matches(value: Any, pattern: Any) -> bool:
    """FHIR pattern semantics: every property of the pattern is present with that value;
    each item of a pattern list matches some item of the value list."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(matches(value.get(k), p) for k, p in pattern.items())
    if isinstance(pattern, list):
        items = value if isinstance(value, list) else [value]
        return all(any(matches(v, p) for v in items) for p in pattern)
    return bool(value == pattern)


def evaluate(rule: ElementRule, root: Node, ctx: Context) -> Iterator[Issue]:
    """All issues of one rule, for every instance of the rule's parent element."""
    for parent in descend([root], rule.path[:-1]):
        found = children(parent, rule.path[-1])
        if rule.extension_url:
            found = [n for n in found
                     if isinstance(n.value, dict) and n.value.get("url") == rule.extension_url]
        yield from _cardinality(rule, parent, found)
        for node in found:
            yield from _value(rule, node, ctx)


def _missing_expression(rule: ElementRule, parent: Node) -> str:
    if rule.extension_url:
        return f"{parent.expr}.{rule.path[-1]}('{rule.extension_url}')"
    return child_expression(parent, rule.path[-1])


def _cardinality(rule: ElementRule, parent: Node, found: list[Node]) -> Iterator[Issue]:
    if len(found) < rule.min:
        where = _missing_expression(rule, parent)
        yield error("required", f"{where} is required (at least {rule.min}, found {len(found)})",
                    where)
    if rule.max is not None and len(found) > rule.max:
        where = _missing_expression(rule, parent)
        yield error("structure", f"{where} allows at most {rule.max} (found {len(found)})",
                    found[rule.max].expr)


def _value(rule: ElementRule, node: Node, ctx: Context) -> Iterator[Issue]:
    if rule.fixed and node.value != rule.fixed[0]:
        yield error("value", f"{node.expr} must be exactly {_compact(rule.fixed[0])}", node.expr)
    if rule.pattern and not matches(node.value, rule.pattern[0]):
        yield error("value", f"{node.expr} must match the pattern {_compact(rule.pattern[0])}",
                    node.expr)
    if rule.value_set:
        yield from _binding(rule.value_set, node)
    if rule.target_profiles:
        yield from _reference(rule.target_profiles, node, ctx)
    if rule.extension_url:
        for profile in ctx.catalog.lineage(rule.extension_url):
            for inner in profile.rules:
                yield from evaluate(inner, node, ctx)


def _codes(value: Any) -> list[tuple[str | None, str]]:
    """(system, code) pairs of a code/string, Coding or CodeableConcept; a Coding without a
    system gets '' so that it never matches (a bare code is only allowed on primitives)."""
    if isinstance(value, str):
        return [(None, value)]
    if not isinstance(value, dict):
        return []
    if "coding" in value:
        codings = value["coding"] if isinstance(value["coding"], list) else []
    else:
        codings = [value] if "code" in value or "system" in value else []
    return [(c.get("system") or "", c.get("code") or "") for c in codings if isinstance(c, dict)]


def _binding(url: str, node: Node) -> Iterator[Issue]:
    pairs = _codes(node.value)
    if any(terminology.validate_code(url, system, code) for system, code in pairs):
        return
    title = terminology.value_set(url).resource.get("title", url)
    shown = ", ".join(f"{s}|{c}" if s else repr(c) for s, c in pairs) or "no code"
    yield error("code-invalid", f"{node.expr}: {shown} is not in the value set '{title}' ({url})",
                node.expr)


def _reference(targets: tuple[str, ...], node: Node, ctx: Context) -> Iterator[Issue]:
    ref = node.value.get("reference") if isinstance(node.value, dict) else None
    titles = " or ".join(_title(t, ctx) for t in targets)
    if not isinstance(ref, str) or not ref:
        yield error("required", f"{node.expr} must be a literal reference to a {titles}",
                    f"{node.expr}.reference")
        return
    if ref.startswith(("#", "urn:")) or "?" in ref:
        return  # contained, bundle-local or conditional: the storage layer resolves these
    parsed = LITERAL_REFERENCE.search(ref)
    types = {ctx.catalog.type_of(t) for t in targets}
    if parsed is None or parsed.group(1) not in types:
        yield error("value", f"{node.expr}: '{ref}' is not a reference to a {titles}",
                    f"{node.expr}.reference")
        return
    target = ctx.resolve(ref) if ctx.resolve else None
    ours = {t for t in targets if t in ctx.catalog.profiles}
    if isinstance(target, dict) and ours and not ours & conformance_claims(target, ctx.catalog):
        yield error("value", f"{node.expr}: '{ref}' is not a {titles}", f"{node.expr}.reference")


def _title(url: str, ctx: Context) -> str:
    found = ctx.catalog.profiles.get(url)
    return found.title if found else (ctx.catalog.type_of(url) or url)
