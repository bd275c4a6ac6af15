"""Which profiles a resource must conform to: the ones it claims in ``meta.profile`` plus the
one its kind selects (rules in ``schemas/profiles/selection.json``), so that a network
resource cannot dodge its profile by not claiming it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry.errors import Issue, error
from registry.services.profiles.definitions import ProfileCatalog
from registry.services.profiles.paths import Node, children, descend

Resolver = Callable[[str], dict[str, Any] | None]
NETWORK_CANONICAL = "https://telementoring.example.org/fhir/"


def claimed(resource: dict[str, Any], catalog: ProfileCatalog) -> tuple[list[str], list[Issue]]:
    """Known claimed profiles, and an issue per claim of ours that is unknown or mistyped.

    Claims of outside profiles (IHE mCSD, national IGs) are accepted unchecked, as a peer's
    resources may carry them; the by-kind selection still applies our own profile."""
    rtype = resource.get("resourceType", "")
    meta = Node(f"{rtype}.meta", resource.get("meta"))
    urls, issues = [], []
    for node in children(meta, "profile"):
        url = node.value.split("|", 1)[0] if isinstance(node.value, str) else ""
        found = catalog.profiles.get(url)
        if found is None and not url.startswith(NETWORK_CANONICAL):
            continue
        if found is None:
            issues.append(error("not-supported", f"Unknown profile '{node.value}': this "
                                "registry cannot check conformance to it", node.expr))
        elif found.type != rtype:
            issues.append(error("invalid", f"Profile '{url}' constrains {found.type}, "
                                f"not {rtype}", node.expr))
        else:
            urls.append(url)
    return urls, issues


def _has_coding(resource: dict[str, Any], cond: dict[str, Any]) -> bool:
    root = Node(resource["resourceType"], resource)
    for node in descend([root], cond["path"].split(".")):
        for coding in [n.value for n in children(node, "coding")] or [node.value]:
            if (isinstance(coding, dict) and coding.get("system") == cond["system"]
                    and cond.get("code") in (None, coding.get("code"))):
                return True
    return False


def _has_extension(resource: dict[str, Any], url: str) -> bool:
    extensions = resource.get("extension")
    return isinstance(extensions, list) and any(
        isinstance(e, dict) and e.get("url") == url for e in extensions)


def _refers_to(resource: dict[str, Any], cond: dict[str, Any], catalog: ProfileCatalog,
               resolve: Resolver | None) -> bool:
    if resolve is None:
        return False
    root = Node(resource["resourceType"], resource)
    for node in descend([root], cond["path"].split(".")):
        ref = node.value.get("reference") if isinstance(node.value, dict) else None
        target = resolve(ref) if isinstance(ref, str) else None
        if isinstance(target, dict) and cond["profile"] in conformance_claims(target, catalog):
            return True
    return False


def _holds(rule: dict[str, Any], resource: dict[str, Any], catalog: ProfileCatalog,
           resolve: Resolver | None) -> bool:
    when = rule.get("when", {})
    if "coding" in when:
        return _has_coding(resource, when["coding"])
    if "extension" in when:
        return _has_extension(resource, when["extension"])
    if "reference" in when:
        return _refers_to(resource, when["reference"], catalog, resolve)
    return True


def by_kind(resource: dict[str, Any], catalog: ProfileCatalog,
            resolve: Resolver | None = None) -> str | None:
    """The profile the first matching selection rule names, if any."""
    rtype = resource.get("resourceType")
    for rule in catalog.selection:
        if rule["resourceType"] == rtype and _holds(rule, resource, catalog, resolve):
            profile: str = rule["profile"]
            return profile
    return None


def conformance_claims(resource: dict[str, Any], catalog: ProfileCatalog) -> set[str]:
    """Every profile URL a resource stands for (claimed or by kind, with their bases); used to
    judge whether a reference target is, say, a hub. Does not resolve further references."""
    urls, _ = claimed(resource, catalog)
    kind = by_kind(resource, catalog)
    return {p.url for url in [*urls, *([kind] if kind else [])] for p in catalog.lineage(url)}


def applicable(resource: dict[str, Any], catalog: ProfileCatalog,
               resolve: Resolver | None) -> tuple[list[str], list[Issue]]:
    """Profiles to check: the known claims plus the by-kind profile unless a claim covers it."""
    urls, issues = claimed(resource, catalog)
    kind = by_kind(resource, catalog, resolve)
    covered = {p.url for url in urls for p in catalog.lineage(url)}
    if kind and kind not in covered:
        urls.append(kind)
    return list(dict.fromkeys(urls)), issues
