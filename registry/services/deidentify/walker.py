"""Walks a resource element by element and applies the rule each element resolves to.

Every key of the input is visited: known elements go through their rule, unknown keys are
dropped and reported. Whatever a rule removes is still searched for content that must be
refused (an image in a removed photo is refused, not silently dropped), so the spoke learns
that it sent something it should not have.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import allowlist, methods, report
from .context import Element, Result, Run
from .model import PRIMITIVE_EXTENSION, element_info, is_resource
from .pseudonyms import is_own_uuid, pseudonym_uuid
from .text import scrub_text

Method = Callable[[Run, Element], Result | None]
WHOLE = frozenset({"keep", "remove", "refuse", "subject-key", "keep-own-extensions"})
EMPTY: tuple[object, ...] = (None, "", [], {})


def walk_resource(run: Run, resource: Any, path: str, *,
                  contained: bool = False) -> dict[str, Any] | None:
    rtype = resource.get("resourceType") if isinstance(resource, dict) else None
    refused = run.rules.raw["refusedResourceTypes"]
    if rtype in refused:
        run.refuse(path, f"{rtype} resources are refused: {refused[rtype]}")
        return None
    if (not isinstance(rtype, str) or rtype not in run.rules.raw["acceptedResourceTypes"]
            or not is_resource(rtype)):
        run.refuse(path, f"resource type {rtype or '(none)'} is not accepted in a case")
        return None
    saved = run.contained, run.in_contained
    if "contained" in resource:
        run.contained = _contained_map(run, resource)
    run.in_contained = contained
    out = {"resourceType": rtype, **walk_object(run, resource, rtype, path)}
    run.contained, run.in_contained = saved
    return out


def _contained_map(run: Run, resource: dict[str, Any]) -> dict[str, str]:
    mapping = {}
    for item in resource.get("contained") or []:
        cid = item.get("id") if isinstance(item, dict) else None
        if isinstance(cid, str):
            own = is_own_uuid(run.secret, cid)
            message = f"{run.spoke}|{run.subject_key}|{resource.get('id')}|#{cid}"
            mapping["#" + cid] = "#" + (cid if own else pseudonym_uuid(run.secret, message))
    return mapping


def _names(obj: dict[str, Any]) -> list[str]:
    names = [k for k in obj if k != "resourceType" and not k.startswith("_")]
    return names + [k[1:] for k in obj if k.startswith("_") and k[1:] not in obj]


def walk_object(run: Run, obj: dict[str, Any], owner: str, path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _names(obj):
        info = element_info(owner, name)
        if info is None:
            run.changed(f"{path}.{name}", report.UNKNOWN.format(owner=owner))
            continue
        method = run.rules.method(owner, name, info)
        el = Element(owner, name, info.type_name, info.primitive, obj.get(name),
                     obj.get("_" + name), f"{path}.{name}", obj)
        if info.is_list and method not in WHOLE:
            _apply_list(run, el, method, out)
        else:
            _put_result(out, name, _apply(run, el, method))
    return out


def _apply(run: Run, el: Element, method: str) -> Result | None:
    result = METHODS[method](run, el)
    if result is None or method == "keep":
        return result
    if isinstance(result.ext, dict):
        result.ext = walk_object(run, result.ext, PRIMITIVE_EXTENSION, el.path) or None
    return result


def _apply_list(run: Run, el: Element, method: str, out: dict[str, Any]) -> None:
    values = el.value if isinstance(el.value, list) else [el.value]
    exts = el.ext if isinstance(el.ext, list) else [None] * len(values)
    kept: list[Result] = []
    for i, (value, ext) in enumerate(zip(values, exts, strict=False)):
        item = Element(el.owner, el.name, el.type_name, el.primitive, value, ext,
                       f"{el.path}[{i}]", el.parent)
        result = _apply(run, item, method)
        if result is not None:
            kept.append(result)
            _merge_extra(out, result.extra)
    if any(r.value not in EMPTY for r in kept):
        _put(out, el.name, [r.value for r in kept])
    if el.primitive and any(r.ext not in EMPTY for r in kept):
        out["_" + el.name] = [r.ext for r in kept]


def _put_result(out: dict[str, Any], name: str, result: Result | None) -> None:
    if result is None:
        return
    if result.value not in EMPTY:
        _put(out, name, result.value)
    if result.ext not in EMPTY:
        out["_" + name] = result.ext
    _merge_extra(out, result.extra)


def _put(out: dict[str, Any], name: str, value: Any) -> None:
    if isinstance(value, list) and isinstance(out.get(name), list):
        out[name] = value + out[name]
    else:
        out[name] = value


def _merge_extra(out: dict[str, Any], extra: dict[str, Any]) -> None:
    for name, value in extra.items():
        if isinstance(value, list):
            out[name] = [*out.get(name, []), *value]
        else:
            out[name] = value


def scan_refusals(run: Run, value: Any, type_name: str, path: str) -> None:
    """Look inside a removed value for anything a rule refuses."""
    if type_name == "Resource" and isinstance(value, dict):
        reported = len(run.issues)
        walk_resource(run, value, path)  # only its refusals matter
        del run.issues[reported:]
        return
    items = value if isinstance(value, list) else [value]
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        here = f"{path}[{i}]" if isinstance(value, list) else path
        for name in _names(item):
            info = element_info(type_name, name)
            if info is None or info.primitive and item.get(name) in EMPTY:
                continue
            method = run.rules.method(type_name, name, info)
            if method == "refuse":
                methods.refuse(run, Element(type_name, name, info.type_name, info.primitive,
                                            item.get(name), None, f"{here}.{name}"))
            elif not info.primitive:
                scan_refusals(run, item.get(name), info.type_name, f"{here}.{name}")


def remove(run: Run, el: Element) -> Result | None:
    if el.value in EMPTY and el.ext in EMPTY:
        return None
    if not el.primitive:
        scan_refusals(run, el.value, el.type_name, el.path)
    run.changed(el.path, report.REMOVED)
    return None


def descend(run: Run, el: Element) -> Result | None:
    if el.value is None:
        return Result(None, el.ext)
    if el.type_name == "Resource":
        walked = walk_resource(run, el.value, el.path, contained=el.name == "contained")
    elif isinstance(el.value, dict):
        walked = walk_object(run, el.value, el.type_name, el.path)
    else:
        walked = None
    if not walked:
        run.changed(el.path, report.REMOVED if el.value not in EMPTY else report.MALFORMED)
        return None
    return Result(walked)


def generalize_age_cap(run: Run, el: Element) -> Result | None:
    """An Age over 89 becomes '>= 90' (Safe Harbor aggregates ages over 89)."""
    result = descend(run, el)
    if result is None or not isinstance(result.value, dict):
        return result
    cap = run.rules.raw["ageCap"]
    value = result.value.get("value")
    capped = value == cap["value"] and result.value.get("comparator") == ">="
    if isinstance(value, int | float) and value > cap["above"] and not capped:
        result.value = {**result.value, "value": cap["value"], "comparator": ">="}
        run.changed(el.path, report.AGE_CAP)
    return result


def known_coding(run: Run, el: Element) -> Result | None:
    """A Coding of a system the rules do not name is removed whole: its code may identify."""
    return descend(run, el) if allowlist.coding_allowed(run, el.value) else remove(run, el)


def known_concept(run: Run, el: Element) -> Result | None:
    """Codings filtered; the display of a dropped local code becomes the text, scrubbed.

    'Score de Cushman' from a clinic's own code system keeps its meaning without its code; a
    concept left with nothing is marked masked, so a required element stays present.
    """
    value = el.value if isinstance(el.value, dict) else {}
    result = descend(run, el)
    out = dict(result.value) if result is not None and isinstance(result.value, dict) else {}
    found = value.get("coding")
    codings: list[Any] = found if isinstance(found, list) else []
    displays = [c["display"] for c in codings if isinstance(c, dict)
                and not allowlist.coding_allowed(run, c) and isinstance(c.get("display"), str)]
    if displays and "text" not in out:
        out["text"] = scrub_text(displays[0])[0]
    if not out and value:
        url = run.rules.extensions["dataAbsentReason"]
        out = {"extension": [{"url": url, "valueCode": "masked"}]}
    return Result(out, result.ext if result is not None else None) if out else None


def known_extension(run: Run, el: Element) -> Result | None:
    """An extension whose URL the rules do not name is removed, whatever its value."""
    return descend(run, el) if allowlist.extension_allowed(run, el.value) else remove(run, el)


def age_quantity(run: Run, el: Element) -> Result | None:
    result = descend(run, el)
    if result is not None and isinstance(result.value, dict):
        result.value = allowlist.cap_age_quantity(run, result.value, el)
    return result


METHODS: dict[str, Method] = {
    "known-coding": known_coding,
    "known-extension": known_extension,
    "known-concept": known_concept,
    "known-system": allowlist.known_system,
    "age-quantity": age_quantity,
    "age-integer": allowlist.age_integer,
    "keep": methods.keep,
    "remove": remove,
    "descend": descend,
    "scrub": methods.scrub,
    "relative-date": methods.relative_date,
    "year": methods.year,
    "keyed-hash": methods.keyed_hash_identifier,
    "refuse": methods.refuse,
    "pseudonymize-id": methods.pseudonymize_id,
    "pseudonymize-reference": methods.pseudonymize_reference,
    "subject-key": methods.subject_key,
    "generalize-age-band": methods.generalize_age_band,
    "generalize-age-cap": generalize_age_cap,
    "keep-own-extensions": methods.keep_own_extensions,
}
