"""Reading the ``operation`` parameters of a FHIRPath Patch ``Parameters`` body.

Everything about the body's shape is checked here, before any change is made, so a
malformed patch is a 400 that names the offending parameter or part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry.errors import InvalidRequest
from registry.services.patch.fhirpath import Path, PathSyntaxError, parse

PARTS: dict[str, frozenset[str]] = {
    "add": frozenset({"type", "path", "name", "value"}),
    "insert": frozenset({"type", "path", "value", "index"}),
    "delete": frozenset({"type", "path"}),
    "replace": frozenset({"type", "path", "value"}),
    "move": frozenset({"type", "path", "source", "destination"}),
}
_KNOWN = frozenset().union(*PARTS.values())


@dataclass(frozen=True)
class Operation:
    """One validated patch operation; the value part is kept raw until its target is known."""

    type: str
    path: Path
    where: str  # "Parameters.parameter[i]"
    parts: dict[str, int]  # part name -> its position, for error locations
    name: str = ""
    value: dict[str, Any] | None = None
    index: int = 0
    source: int = 0
    destination: int = 0

    def at(self, part: str) -> str:
        """The FHIRPath location of one of this operation's parts."""
        return f"{self.where}.part[{self.parts[part]}]"


def _index_parts(parts: Any, where: str) -> dict[str, tuple[int, dict[str, Any]]]:
    if not isinstance(parts, list) or not parts:
        raise InvalidRequest("An operation needs its parts", where)
    found: dict[str, tuple[int, dict[str, Any]]] = {}
    for i, part in enumerate(parts):
        here = f"{where}.part[{i}]"
        name = part.get("name") if isinstance(part, dict) else None
        if name not in _KNOWN:
            raise InvalidRequest("Unknown or unnamed operation part", here)
        if name in found:
            raise InvalidRequest(f"The '{name}' part is given twice", here)
        found[name] = (i, part)
    return found


def _text(part: dict[str, Any], where: str, *keys: str) -> str:
    value = next((part[k] for k in keys if k in part), None)
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"Expected a {' or '.join(keys)}", where)
    return value


def _whole(part: dict[str, Any], where: str) -> int:
    values = [v for k, v in part.items() if k.startswith("value")]
    number = values[0] if len(values) == 1 else None
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise InvalidRequest("Expected a non-negative valueInteger", where)
    return number


def _check_parts(kind: str, found: dict[str, Any], where: str) -> None:
    missing = sorted(PARTS[kind] - found.keys())
    if missing:
        raise InvalidRequest(f"A '{kind}' operation needs the part(s) {', '.join(missing)}",
                             where)
    extra = sorted(found.keys() - PARTS[kind])
    if extra:
        raise InvalidRequest(f"A '{kind}' operation takes no {', '.join(extra)} part", where)


def _operation(parameter: Any, where: str) -> Operation:
    if not isinstance(parameter, dict) or parameter.get("name") != "operation":
        raise InvalidRequest("Each parameter of a FHIRPath Patch must be an 'operation'", where)
    found = _index_parts(parameter.get("part"), where)
    at = {name: f"{where}.part[{i}]" for name, (i, _) in found.items()}
    if "type" not in found:
        raise InvalidRequest("An operation needs a 'type' part", where)
    kind = _text(found["type"][1], at["type"], "valueCode", "valueString")
    if kind not in PARTS:
        raise InvalidRequest(f"Unknown operation type '{kind}'", at["type"])
    _check_parts(kind, found, where)
    try:
        path = parse(_text(found["path"][1], at["path"], "valueString"))
    except PathSyntaxError as exc:
        raise InvalidRequest(f"Unsupported or invalid FHIRPath: {exc}", at["path"]) from None
    numbers = {n: _whole(found[n][1], at[n]) for n in ("index", "source", "destination")
               if n in found}
    name = _text(found["name"][1], at["name"], "valueString") if "name" in found else ""
    return Operation(kind, path, where, {n: i for n, (i, _) in found.items()}, name,
                     found["value"][1] if "value" in found else None, **numbers)


def read_operations(parameters: Any) -> list[Operation]:
    """All operations of the body, in order, or ``InvalidRequest`` for the first bad one."""
    if not isinstance(parameters, dict) or parameters.get("resourceType") != "Parameters":
        raise InvalidRequest("A FHIRPath Patch body must be a Parameters resource")
    listed = parameters.get("parameter", [])
    if not isinstance(listed, list):
        raise InvalidRequest("Parameters.parameter must be a list", "Parameters.parameter")
    return [_operation(p, f"Parameters.parameter[{i}]") for i, p in enumerate(listed)]
