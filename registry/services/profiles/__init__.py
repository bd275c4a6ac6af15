"""Profile conformance for network resources, driven by the StructureDefinitions under
``schemas/profiles``.

    issues = check(resource)            # [] means the resource conforms
    if issues:
        raise Unprocessable(issues)

``check`` is pure. Pass ``resolve`` (a function from a literal reference such as
``"Organization/hub-1"`` to the stored resource dict, or None) to also check that
references point at the right kind of resource (a spoke's ``partOf`` at a hub, ...) and to
recognise a Location managed by a spoke that does not carry the settlement extension.
"""

from __future__ import annotations

import copy
from typing import Any

from registry.errors import Issue, error
from registry.services.profiles.definitions import (
    Profile,
    ProfileCatalog,
    ProfileDefinitionError,
    catalog,
)
from registry.services.profiles.paths import Node
from registry.services.profiles.rules import Context, evaluate
from registry.services.profiles.selection import Resolver, applicable

__all__ = ["Profile", "ProfileCatalog", "ProfileDefinitionError", "Resolver", "catalog",
           "check", "profiles_for", "structure_definitions"]


def profiles_for(resource: dict[str, Any], resolve: Resolver | None = None) -> list[str]:
    """URLs of the profiles ``check`` would hold the resource to."""
    return applicable(resource, catalog(), resolve)[0]


def check(resource: dict[str, Any], resolve: Resolver | None = None) -> list[Issue]:
    """Every way ``resource`` breaks the profiles it claims or its kind selects."""
    rtype = resource.get("resourceType") if isinstance(resource, dict) else None
    if not isinstance(rtype, str) or not rtype:
        return [error("structure", "A resource needs a resourceType", "resourceType")]
    profiles = catalog()
    urls, issues = applicable(resource, profiles, resolve)
    ctx = Context(profiles, resolve)
    root = Node(rtype, resource)
    seen: set[str] = set()
    for url in urls:
        for profile in profiles.lineage(url):
            if profile.url in seen:
                continue
            seen.add(profile.url)
            for rule in profile.rules:
                issues.extend(evaluate(rule, root, ctx))
    return _unique(issues)


def _unique(issues: list[Issue]) -> list[Issue]:
    """Two profiles (a hub and its base) can repeat a rule; report each issue once."""
    return list(dict.fromkeys(issues))


def structure_definitions() -> list[dict[str, Any]]:
    """The shipped StructureDefinitions, e.g. to serve them at /StructureDefinition."""
    return copy.deepcopy(list(catalog().resources))
