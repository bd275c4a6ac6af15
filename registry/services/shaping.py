"""Response shaping for ``_summary`` and ``_elements`` on read and search.

What counts as a summary element comes from the ``fhir.resources.R4B`` models, not from
lists kept here: every generated field carries ``json_schema_extra`` with
``element_property`` and, when the FHIR definition sets ``isSummary``,
``summary_element_property``; mandatory elements are pydantic-required (complex),
``element_required`` (primitive) or ``one_of_many_required`` (choice). Any reduced
resource gets the SUBSETTED tag, as the FHIR search page requires.
"""

from __future__ import annotations

import copy
import typing
from collections.abc import Callable
from functools import cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.backboneelement import BackboneElement
from fhir_core.fhirabstractmodel import FHIRAbstractModel
from pydantic.fields import FieldInfo

from registry.errors import InvalidRequest

Model = type[FHIRAbstractModel]
Resource = dict[str, Any]

SUBSETTED_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
SUBSETTED = {"system": SUBSETTED_SYSTEM, "code": "SUBSETTED"}
ALWAYS_KEPT = frozenset({"resourceType", "id", "meta"})


def _extra(field: FieldInfo) -> dict[str, Any]:
    extra = field.json_schema_extra
    return extra if isinstance(extra, dict) else {}


@cache
def _fields(model: Model) -> dict[str, FieldInfo]:
    """The FHIR elements of a model keyed by JSON name (``_x`` helpers left out)."""
    return {field.alias or name: field for name, field in model.model_fields.items()
            if _extra(field).get("element_property")}


def _is_mandatory(field: FieldInfo) -> bool:
    extra = _extra(field)
    return field.is_required() or any(
        extra.get(flag) for flag in ("element_required", "one_of_many_required"))


@cache
def _mandatory(model: Model) -> frozenset[str]:
    return frozenset(name for name, field in _fields(model).items() if _is_mandatory(field))


@cache
def _summary_names(model: Model) -> frozenset[str]:
    flagged = (n for n, f in _fields(model).items() if _extra(f).get("summary_element_property"))
    return frozenset(flagged) | _mandatory(model)


@cache
def _choices(model: Model) -> dict[str, frozenset[str]]:
    """``value`` -> {valueQuantity, valueString, ...}: how _elements names a choice."""
    groups: dict[str, set[str]] = {}
    for name, field in _fields(model).items():
        base = _extra(field).get("one_of_many")
        if isinstance(base, str):
            groups.setdefault(base, set()).add(name)
    return {base: frozenset(names) for base, names in groups.items()}


def _complex_type(annotation: Any) -> Any:
    """The model class inside an annotation such as ``Optional[List[PatientContactType]]``."""
    klass = getattr(annotation, "get_model_klass", None)
    if klass is not None:
        return klass()
    found = (_complex_type(arg) for arg in typing.get_args(annotation))
    return next((k for k in found if k is not None), None)


@cache
def _backbones(model: Model) -> dict[str, Model]:
    """Elements defined inside the resource, whose children carry their own summary flags."""
    nested = {name: _complex_type(field.annotation) for name, field in _fields(model).items()}
    return {name: klass for name, klass in nested.items()
            if isinstance(klass, type) and issubclass(klass, BackboneElement)}


def _model(resource_type: Any) -> Model:
    try:
        model = get_fhir_model_class(resource_type) if isinstance(resource_type, str) else None
    except ValueError:
        model = None
    if model is None or not model.has_resource_base():
        raise InvalidRequest("Unknown resource type")
    return model


@cache
def summary_elements(resource_type: str) -> frozenset[str]:
    """Top-level JSON names ``_summary=true`` keeps for a type (choices by variant name)."""
    return _summary_names(_model(resource_type)) | ALWAYS_KEPT


def _pick(data: Resource, keep: frozenset[str]) -> Resource:
    """The entries of ``data`` named in ``keep``; ``_x`` extension siblings follow ``x``."""
    return {key: value for key, value in data.items() if key.removeprefix("_") in keep}


def _summarise(data: Resource, model: Model, keep: frozenset[str]) -> Resource:
    kept = _pick(data, keep)
    for key, child in _backbones(model).items():
        if key in kept:
            kept[key] = _summarise_value(kept[key], child)
    return kept


def _summarise_value(value: Any, model: Model) -> Any:
    if isinstance(value, list):
        return [_summarise_value(item, model) for item in value]
    return _summarise(value, model, _summary_names(model)) if isinstance(value, dict) else value


def _summary_true(resource: Resource) -> Resource:
    model = _model(resource.get("resourceType"))
    return _summarise(resource, model, summary_elements(resource["resourceType"]))


def _summary_text(resource: Resource) -> Resource:
    model = _model(resource.get("resourceType"))
    return _pick(resource, ALWAYS_KEPT | {"text"} | _mandatory(model))


def _summary_data(resource: Resource) -> Resource:
    return {key: value for key, value in resource.items() if key != "text"}


_SUMMARIES: dict[str, Callable[[Resource], Resource]] = {
    "true": _summary_true,
    "text": _summary_text,
    "data": _summary_data,
    "false": lambda resource: resource,
}


def _finish(original: Resource, shaped: Resource) -> Resource:
    """A detached copy of ``shaped``, tagged SUBSETTED if anything was left out."""
    result = copy.deepcopy(shaped)
    if shaped == original:
        return result
    tags = result.setdefault("meta", {}).setdefault("tag", [])
    if not any(t.get("system") == SUBSETTED_SYSTEM and t.get("code") == "SUBSETTED"
               for t in tags if isinstance(t, dict)):
        tags.append(dict(SUBSETTED))
    return result


def summary(resource: Resource, mode: str) -> Resource:
    """Apply ``_summary=mode`` (true | text | data | false) to one resource.

    ``count`` is not accepted: it shapes a search Bundle, not a resource.
    """
    shaper = _SUMMARIES.get(mode)
    if shaper is None:
        raise InvalidRequest("_summary must be one of true, text, data or false", "_summary")
    return _finish(resource, shaper(resource))


def _requested(model: Model, resource_type: str, names: list[str]) -> set[str]:
    """JSON names meant by ``_elements``: ``Type.x`` is ``x``, a choice base its variants."""
    wanted: set[str] = set()
    for raw in names:
        name = raw.strip().removeprefix(f"{resource_type}.")
        if name:
            wanted.add(name)
            wanted.update(_choices(model).get(name, ()))
    return wanted


def elements(resource: Resource, names: list[str]) -> Resource:
    """Apply ``_elements=names``; unknown names are ignored, no names changes nothing."""
    model = _model(resource.get("resourceType"))
    wanted = _requested(model, resource["resourceType"], names)
    if not wanted:
        return copy.deepcopy(resource)
    return _finish(resource, _pick(resource, frozenset(wanted) | ALWAYS_KEPT | _mandatory(model)))
