"""What the R4B models say about an element: does it repeat, and what type it holds.

A JSON object alone cannot tell whether an absent element must be created as a list,
which ``value[x]`` variant a base name means, or whether a value has the right type;
FHIRPath Patch needs all three, so it asks the ``fhir.resources.R4B`` models.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir_core.fhirabstractmodel import FHIRAbstractModel

Model = type[FHIRAbstractModel]


@dataclass(frozen=True)
class Slot:
    """One element of a model as it is spelt in JSON."""

    name: str
    repeats: bool
    model: Model | None  # None for primitive types
    choice: str | None  # base name ("value") when this is one variant of a value[x]


def _shape(annotation: Any) -> tuple[bool, Model | None]:
    """(repeats, complex type) of a field annotation such as ``Optional[List[XType]]``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _shape(inner[0])
    if origin is list:
        return True, _shape(typing.get_args(annotation)[0])[1]
    klass = getattr(annotation, "get_model_klass", None)
    return False, klass() if klass else None


@cache
def slots(model: Model) -> dict[str, Slot]:
    """Every FHIR element of ``model`` keyed by its JSON name."""
    found: dict[str, Slot] = {}
    for field_name, field in model.model_fields.items():
        extra = field.json_schema_extra
        if not isinstance(extra, dict) or not extra.get("element_property"):
            continue
        name = field.alias or field_name
        repeats, child = _shape(field.annotation)
        choice = extra.get("one_of_many")
        found[name] = Slot(name, repeats, child, choice if isinstance(choice, str) else None)
    return found


def variants(model: Model, base: str) -> list[Slot]:
    """The concrete elements of the choice ``base`` (``value`` -> valueQuantity, ...)."""
    return [s for s in slots(model).values() if s.choice == base]


@cache
def type_model(type_name: str) -> Model | None:
    """The model of a complex type or resource name; None for primitives and unknowns."""
    try:
        return get_fhir_model_class(type_name)
    except ValueError:
        return None


def model_of(value: Any, declared: Model | None) -> Model | None:
    """A contained resource is declared as ``Resource``; its resourceType is the truth."""
    if isinstance(value, dict) and isinstance(value.get("resourceType"), str):
        return type_model(value["resourceType"]) or declared
    return declared
