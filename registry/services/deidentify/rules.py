"""The element rules of ``schemas/deidentification/rules.json`` and how one is chosen.

Resolution order for element ``name`` of ``owner`` (a resource, datatype or backbone model):
``owner.name``, then ``Resource.name`` when the owner is a resource, then the rule for the
element's datatype, then the owner's default, then the primitive type's default, and finally
``fallback`` (scrub): a string nobody thought of is scrubbed, never kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, cast

from .model import ElementInfo, is_resource

METHODS = frozenset({
    "keep", "remove", "descend", "scrub", "relative-date", "year", "keyed-hash", "refuse",
    "pseudonymize-id", "pseudonymize-reference", "subject-key", "generalize-age-band",
    "generalize-age-cap", "keep-own-extensions", "known-coding", "known-extension",
    "known-system", "age-quantity", "age-integer", "known-concept",
})


@dataclass(frozen=True)
class Rules:
    raw: dict[str, Any]

    @property
    def systems(self) -> dict[str, str]:
        return cast(dict[str, str], self.raw["systems"])

    @property
    def extensions(self) -> dict[str, str]:
        return cast(dict[str, str], self.raw["extensions"])

    def method(self, owner: str, name: str, info: ElementInfo) -> str:
        elements = self.raw["elements"]
        for key in (f"{owner}.{name}", f"Resource.{name}" if is_resource(owner) else None):
            if key and key in elements:
                return cast(str, elements[key])
        if info.type_name in self.raw["datatypes"]:
            return cast(str, self.raw["datatypes"][info.type_name])
        if owner in self.raw["ownerDefaults"]:
            return cast(str, self.raw["ownerDefaults"][owner])
        if info.type_name in self.raw["allowList"]["datatypes"]:
            return cast(str, self.raw["allowList"]["datatypes"][info.type_name])
        if info.primitive:
            return cast(str, self.raw["primitives"].get(info.type_name, self.raw["fallback"]))
        return "descend"


def _check(raw: dict[str, Any]) -> None:
    """Fail at load time, not mid-case, if the JSON names a method nobody implements."""
    allowed = [v for k, v in raw["allowList"]["datatypes"].items() if not k.startswith("$")]
    named = [*raw["elements"].values(), *raw["datatypes"].values(), *allowed,
             *raw["ownerDefaults"].values(), *raw["primitives"].values(), raw["fallback"]]
    unknown = sorted(set(named) - METHODS)
    if unknown:
        raise ValueError(f"rules.json names unknown methods: {', '.join(unknown)}")


@cache
def load_rules() -> Rules:
    path = resources.files("schemas").joinpath("deidentification", "rules.json")
    raw = json.loads(path.read_text(encoding="utf-8"))
    _check(raw)
    return Rules(raw)
