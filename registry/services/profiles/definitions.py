"""Loading the StructureDefinitions under ``schemas/profiles`` and compiling their
``differential`` into flat rules.

The engine enforces a deliberately small part of profiling: ``min``/``max``, ``fixed[x]``,
``pattern[x]``, required ``binding``s, ``targetProfile`` on references and extension slices
by url. Loading refuses any StructureDefinition that uses more, so a profile can never
silently promise a rule that nobody checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources as package_files
from typing import Any

from registry.errors import NotFound
from registry.services import terminology

CORE = "http://hl7.org/fhir/StructureDefinition/"
DOCUMENTATION = {"id", "path", "short", "definition", "comment"}
CONSTRAINTS = {"min", "max", "type", "binding", "sliceName", "slicing"}
EXTENSION_DISCRIMINATOR = [{"type": "value", "path": "url"}]


class ProfileDefinitionError(ValueError):
    """A shipped StructureDefinition uses something the engine does not enforce."""


@dataclass(frozen=True)
class ElementRule:
    """The constraints of one differential element, relative to the profiled type's root."""

    path: tuple[str, ...]
    min: int = 0
    max: int | None = None  # None: unbounded
    fixed: tuple[Any, ...] = ()  # () or (value,) so that a fixed null stays expressible
    pattern: tuple[Any, ...] = ()
    value_set: str | None = None
    target_profiles: tuple[str, ...] = ()
    extension_url: str | None = None  # a slice: only extensions with this url

    @property
    def element(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Profile:
    url: str
    title: str
    type: str
    base: str | None  # our own base profile, None when based directly on the core type
    rules: tuple[ElementRule, ...] = field(default=())


def _fail(sd: dict[str, Any], element: dict[str, Any] | None, why: str) -> ProfileDefinitionError:
    where = f" element {element.get('id')!r}" if element else ""
    return ProfileDefinitionError(f"{sd.get('url')}{where}: {why}")


def _value_key(element: dict[str, Any], prefix: str) -> tuple[Any, ...]:
    keys = [k for k in element if k.startswith(prefix)]
    return (element[keys[0]],) if keys else ()


def _max(raw: str | None) -> int | None:
    return None if raw in (None, "*") else int(raw)


def _binding(sd: dict[str, Any], element: dict[str, Any]) -> str | None:
    binding = element.get("binding")
    if binding is None:
        return None
    if binding.get("strength") != "required":
        raise _fail(sd, element, "only required bindings are enforced")
    try:
        terminology.value_set(binding.get("valueSet", ""))
    except NotFound as exc:
        raise _fail(sd, element, str(exc)) from None
    value_set: str = binding["valueSet"]
    return value_set


def _slice_url(sd: dict[str, Any], element: dict[str, Any]) -> str | None:
    slicing = element.get("slicing")
    if slicing is not None and (not element["path"].endswith(".extension")
                                or slicing.get("discriminator") != EXTENSION_DISCRIMINATOR):
        raise _fail(sd, element, "only extension slicing by url is enforced")
    if "sliceName" not in element:
        if ":" in element["id"]:
            raise _fail(sd, element, "constraints inside a slice are not enforced")
        return None
    types = element.get("type", [])
    if (not element["path"].endswith(".extension") or len(types) != 1
            or types[0].get("code") != "Extension" or len(types[0].get("profile", [])) != 1
            or element["id"] != f"{element['path']}:{element['sliceName']}"):
        raise _fail(sd, element, "a slice must be an extension with exactly one profile")
    profile: str = types[0]["profile"][0]
    return profile


def _targets(sd: dict[str, Any], element: dict[str, Any]) -> tuple[str, ...]:
    targets: list[str] = []
    for entry in element.get("type", []):
        if set(entry) - {"code", "profile", "targetProfile"}:
            raise _fail(sd, element, "type may only carry code, profile and targetProfile")
        targets += entry.get("targetProfile", [])
    return tuple(targets)


def _compile_element(sd: dict[str, Any], element: dict[str, Any]) -> ElementRule | None:
    extra = {k for k in element if not k.startswith(("fixed", "pattern"))}
    if extra - DOCUMENTATION - CONSTRAINTS:
        raise _fail(sd, element, f"unsupported keys {sorted(extra - DOCUMENTATION - CONSTRAINTS)}")
    root, _, rest = element["path"].partition(".")
    if root != sd["type"]:
        raise _fail(sd, element, "path does not start with the profiled type")
    if not rest:
        return None  # the root element only documents the profile
    url = _slice_url(sd, element)
    if "slicing" in element and not (CONSTRAINTS & set(element)) - {"slicing"}:
        return None  # the slicing entry itself carries no rule
    return ElementRule(
        path=tuple(rest.split(".")), min=int(element.get("min", 0)),
        max=_max(element.get("max")), fixed=_value_key(element, "fixed"),
        pattern=_value_key(element, "pattern"), value_set=_binding(sd, element),
        target_profiles=_targets(sd, element), extension_url=url)


def compile_profile(sd: dict[str, Any]) -> Profile:
    """One StructureDefinition as a Profile; raises ProfileDefinitionError on what is unenforced."""
    if sd.get("resourceType") != "StructureDefinition" or sd.get("derivation") != "constraint":
        raise _fail(sd, None, "not a constraint StructureDefinition")
    base = sd.get("baseDefinition", "")
    own_base = None if base == CORE + sd["type"] else base
    elements = sd.get("differential", {}).get("element", [])
    rules = tuple(r for r in (_compile_element(sd, e) for e in elements) if r is not None)
    return Profile(sd["url"], sd.get("title") or sd["name"], sd["type"], own_base, rules)


def _read(folder: Any, name: str) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ProfileCatalog:
    profiles: dict[str, Profile]
    resources: tuple[dict[str, Any], ...]
    selection: tuple[dict[str, Any], ...]

    def lineage(self, url: str) -> tuple[Profile, ...]:
        """The profile and its own bases, base first (rules of all of them apply)."""
        chain: list[Profile] = []
        while url in self.profiles:
            chain.insert(0, self.profiles[url])
            url = self.profiles[url].base or ""
        return tuple(chain)

    def type_of(self, url: str) -> str | None:
        """Resource type a profile URL constrains (ours or a core one), None if unknown."""
        if url.startswith(CORE):
            return url[len(CORE):]
        found = self.profiles.get(url)
        return found.type if found else None


def _check_references(catalog: ProfileCatalog) -> None:
    for profile in catalog.profiles.values():
        if profile.base and catalog.type_of(profile.base) != profile.type:
            raise ProfileDefinitionError(
                f"{profile.url}: base {profile.base} is not a {profile.type}")
        wanted = []
        for rule in profile.rules:
            wanted += [u for u in (*rule.target_profiles, rule.extension_url) if u]
        for url in wanted:
            if catalog.type_of(url) is None:
                raise ProfileDefinitionError(f"{profile.url}: unknown profile {url}")
    for selected in catalog.selection:
        if selected["profile"] not in catalog.profiles:
            raise ProfileDefinitionError(f"selection names unknown profile {selected['profile']}")


@cache
def catalog() -> ProfileCatalog:
    """Every shipped profile, compiled once per process."""
    folder = package_files.files("schemas") / "profiles"
    names = sorted(p.name for p in folder.iterdir() if p.name.startswith("StructureDefinition-"))
    resources = tuple(_read(folder, n) for n in names)
    profiles = {sd["url"]: compile_profile(sd) for sd in resources}
    result = ProfileCatalog(profiles, resources, tuple(_read(folder, "selection.json")["rules"]))
    _check_references(result)
    return result
