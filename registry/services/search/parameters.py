"""The search parameters the registry supports, read from SearchParameter JSON under ``schemas/``.

What is declared there is exactly what is indexed, searchable and advertised in the
CapabilityStatement: there is no second list in code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from registry.services.search.expression import compile_expression
from registry.storage.search.model import SearchParameter

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
SEARCH_PARAMETER_DIR = SCHEMAS / "searchparameters"
COMMON_BASES = ("Resource", "DomainResource")


@dataclass
class SearchParameterRegistry:
    """Search parameters by resource type and code."""

    by_type: dict[str, dict[str, SearchParameter]]
    common: dict[str, SearchParameter]

    def for_type(self, res_type: str) -> dict[str, SearchParameter]:
        return self.by_type.get(res_type, {})

    def get(self, res_type: str, code: str) -> SearchParameter | None:
        return self.by_type.get(res_type, {}).get(code) or self.common.get(code)

    def all_for(self, res_type: str) -> Iterator[SearchParameter]:
        yield from self.common.values()
        yield from self.for_type(res_type).values()

    @property
    def resource_types(self) -> list[str]:
        return sorted(self.by_type)


def _parse(definition: dict[str, Any]) -> SearchParameter:
    expression = definition.get("expression") or ""
    return SearchParameter(
        code=definition["code"],
        type=definition["type"],
        expression=expression,
        bases=tuple(definition.get("base", ())),
        targets=tuple(definition.get("target", ())),
        url=definition.get("url", ""),
        description=definition.get("description", ""),
        extract=compile_expression(expression) if expression else (lambda r: []),
    )


def _definitions(directory: Path) -> Iterable[dict[str, Any]]:
    for path in sorted(directory.glob("*.json")):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        for entry in bundle.get("entry", []):
            resource = entry.get("resource", {})
            if resource.get("resourceType") == "SearchParameter" and resource.get("status") in (
                "active", "draft", None):
                yield resource


def load_registry(directory: Path = SEARCH_PARAMETER_DIR) -> SearchParameterRegistry:
    by_type: dict[str, dict[str, SearchParameter]] = {}
    common: dict[str, SearchParameter] = {}
    for definition in _definitions(directory):
        if definition.get("type") == "composite":
            continue
        param = _parse(definition)
        for base in param.bases:
            target = common if base in COMMON_BASES else by_type.setdefault(base, {})
            target[param.code] = param
    return SearchParameterRegistry(by_type, common)


@cache
def default_registry() -> SearchParameterRegistry:
    return load_registry()
