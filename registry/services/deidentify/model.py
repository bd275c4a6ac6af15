"""What type each element has, read from the fhir.resources R4B models.

The rules are keyed by type, so the walker needs the FHIR type of every element it meets:
'dateTime', 'string', 'HumanName', a backbone such as 'CompositionSection', or 'Resource'.
The models already know; this module asks them once per (owner, element) and caches.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from functools import cache

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.resource import Resource
from fhir_core.fhirabstractmodel import FHIRAbstractModel

PRIMITIVE_EXTENSION = "FHIRPrimitiveExtension"
ALIASES = {"encodedBytes": "base64Binary", "uuidVersion": "uuid"}
PLAIN = {bool: "boolean", int: "integer", str: "string", float: "decimal"}


@dataclass(frozen=True)
class ElementInfo:
    type_name: str
    is_list: bool
    primitive: bool


@cache
def model_class(name: str) -> type[FHIRAbstractModel] | None:
    try:
        return get_fhir_model_class(name)
    except (KeyError, ValueError, AttributeError):
        return None


@cache
def is_resource(name: str) -> bool:
    cls = model_class(name)
    return cls is not None and issubclass(cls, Resource)


def _unwrap(annotation: object) -> tuple[object, bool]:
    """Strip Optional/Union[..., None] and List[...]; report whether it was a list."""
    is_list = False
    while True:
        origin = typing.get_origin(annotation)
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if origin in (typing.Union, types.UnionType) and len(args) == 1:
            annotation = args[0]
        elif origin in (list, typing.List):  # noqa: UP006 - models use typing.List
            annotation, is_list = args[0], True
        else:
            return annotation, is_list


def _type_name(annotation: object) -> tuple[str, bool]:
    metadata = getattr(annotation, "__metadata__", None)
    if metadata:
        name = type(metadata[0]).__name__
        name = name[0].lower() + name[1:]
        return ALIASES.get(name, name), True
    if annotation in PLAIN:
        return PLAIN[annotation], True
    name = getattr(annotation, "__name__", "")
    return (name[:-4] if name.endswith("Type") else name), False


@cache
def element_info(owner: str, element: str) -> ElementInfo | None:
    """Type of ``owner.element`` (e.g. Patient.birthDate -> date), or None if unknown."""
    cls = model_class(owner)
    field = cls.model_fields.get(element) if cls is not None else None
    if field is None or element.endswith("__ext") or element == "fhir_comments":
        return None
    annotation, is_list = _unwrap(field.annotation)
    name, primitive = _type_name(annotation)
    return ElementInfo(name, is_list, primitive)
