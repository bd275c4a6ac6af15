"""Turning a FHIRPath Patch ``value`` part into the JSON it stands for.

A value arrives as ``value[x]`` (any primitive or datatype), as ``resource``, or as
nested ``part``s naming the elements of a complex value. Nested parts carry no
cardinality, so the target model decides whether an element becomes a list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry.errors import InvalidRequest, Unprocessable
from registry.services.patch import properties
from registry.services.patch.elements import Model, Slot, slots, type_model, variants
from registry.services.patch.properties import Item


@dataclass(frozen=True)
class Value:
    json: Any
    extension: Any = None  # the ``_value[x]`` sibling of a primitive
    type_name: str | None = None  # "Quantity" for valueQuantity; None for nested parts

    @property
    def item(self) -> Item:
        return (self.json, self.extension)


def read_value(part: dict[str, Any], target: Model | None, where: str) -> Value:
    """The value held by ``part``; ``target`` is the model nested parts must fill."""
    typed = [k for k in part if k.startswith("value") and len(k) > len("value")]
    sources = typed + [k for k in ("resource", "part") if k in part]
    if len(sources) != 1 or part[sources[0]] is None:
        raise InvalidRequest("A value needs exactly one of value[x], resource or part", where)
    key = sources[0]
    if key == "part":
        return Value(_object(part["part"], target, where))
    if key == "resource":
        resource = part["resource"]
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise InvalidRequest("A resource value must be a FHIR resource", where)
        return Value(resource, None, resource["resourceType"])
    return Value(part[key], part.get("_" + key), key[len("value"):])


def _name(part: Any, where: str) -> str:
    name = part.get("name") if isinstance(part, dict) else None
    if not isinstance(name, str):
        raise InvalidRequest("Each part must be an object with a name", where)
    return name


def _object(parts: Any, model: Model | None, where: str) -> dict[str, Any]:
    """Build a complex value from nested parts, one part per element occurrence."""
    if not isinstance(parts, list) or not parts:
        raise InvalidRequest("A part-valued value needs a non-empty list of parts", where)
    collected: dict[str, tuple[Slot | None, list[Item]]] = {}
    for i, part in enumerate(parts):
        here = f"{where}.part[{i}]"
        key, slot, value = member(model, _name(part, here), part, here)
        collected.setdefault(key, (slot, []))[1].append(value.item)
    result: dict[str, Any] = {}
    for key, (slot, items) in collected.items():
        repeats = slot.repeats if slot else len(items) > 1
        if len(items) > 1 and not repeats:
            raise Unprocessable(f"Element '{key}' does not repeat", where)
        properties.write(result, key, items, repeats)
    return result


def member(model: Model | None, name: str, part: dict[str, Any],
           where: str) -> tuple[str, Slot | None, Value]:
    """Resolve element ``name`` of ``model`` (a choice base takes the value's type)."""
    if model is None:
        return name, None, read_value(part, None, where)
    slot = slots(model).get(name)
    if slot is None:
        value = read_value(part, None, where)
        slot = choice_slot(model, name, value.type_name, where)
    else:
        value = read_value(part, slot.model, where)
    check_type(slot, value, where)
    return slot.name, slot, value


def choice_slot(model: Model, name: str, type_name: str | None, where: str) -> Slot:
    """``value`` + Quantity -> the ``valueQuantity`` element, if the model allows it."""
    base = name.removesuffix("[x]")
    options = variants(model, base)
    if not options:
        raise Unprocessable(f"{model.__name__} has no element '{name}'", where)
    if not type_name:
        raise Unprocessable(f"'{base}[x]' needs a typed value (value[x])", where)
    wanted = base + type_name[:1].upper() + type_name[1:]
    for option in options:
        if option.name == wanted:
            return option
    raise Unprocessable(f"{type_name} is not an allowed type for '{base}[x]'", where)


def check_type(slot: Slot, value: Value, where: str) -> None:
    """Reject values whose kind or datatype cannot stand in the element.

    Primitive lexical rules are left to model validation of the patched resource.
    """
    if slot.model is None:
        if isinstance(value.json, dict | list):
            raise Unprocessable(f"'{slot.name}' takes a primitive value", where)
        return
    expected = f"'{slot.name}' expects a value of type {slot.model.__name__}"
    if not isinstance(value.json, dict):
        raise Unprocessable(expected, where)
    if value.type_name is None:
        return
    given = type_model(value.type_name)
    if given is None or not (issubclass(given, slot.model) or issubclass(slot.model, given)):
        raise Unprocessable(expected, where)
