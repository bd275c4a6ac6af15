"""Structured content by allow-list: codes of known clinical systems, known extensions, ages.

The default is removal. A Coding survives only when its system is a clinical terminology the
rules name (ICD-10, SNOMED CT, LOINC, RxNorm, ATC, UCUM...): the code of a local system can be
a record number. An extension survives only when its URL is named. Ages over 89 are capped
wherever they are stated: a Quantity in years, or the integer value of an observation whose
code says it is an age. The walker applies these decisions; this module only makes them.
"""

from __future__ import annotations

import re
from typing import Any

from . import report
from .context import Element, Result, Run

AGE_WORD = re.compile(r"\b(?:age|edad|idade|âge)\b", re.IGNORECASE)
YEAR_UNITS = frozenset({"a", "yr", "yrs", "year", "years", "ano", "anos", "año", "años", "an",
                        "ans", "y"})


def coding_allowed(run: Run, value: Any) -> bool:
    systems = run.rules.raw["allowList"]["codeSystems"]
    return isinstance(value, dict) and value.get("system") in systems


def extension_allowed(run: Run, value: Any) -> bool:
    urls = {*run.rules.extensions.values(), *run.rules.raw["allowList"]["extensions"]}
    return isinstance(value, dict) and value.get("url") in urls


def known_system(run: Run, el: Element) -> Result | None:
    """A Quantity's system is kept only when it is a named terminology (UCUM)."""
    if el.value in run.rules.raw["allowList"]["codeSystems"]:
        return Result(el.value, el.ext)
    if el.value not in (None, ""):
        run.changed(el.path, report.REMOVED)
    return None


def _is_age_unit(quantity: dict[str, Any]) -> bool:
    words = {str(quantity.get(k, "")).strip().casefold() for k in ("unit", "code")}
    return bool(words & YEAR_UNITS)


def _says_age(run: Run, parent: Any) -> bool:
    code = parent.get("code") if isinstance(parent, dict) else None
    if not isinstance(code, dict) or not isinstance(code.get("coding"), list):
        return False
    codings = code["coding"]
    codes = run.rules.raw["allowList"]["ageCodes"]
    if any(isinstance(c, dict) and c.get("code") in codes for c in codings):
        return True
    words = [code.get("text"), *(c.get("display") for c in codings if isinstance(c, dict))]
    return any(isinstance(w, str) and AGE_WORD.search(w) for w in words)


def _over(run: Run, value: Any) -> bool:
    """Above the cap, and not already the cap itself (a second pass changes nothing)."""
    cap = run.rules.raw["ageCap"]
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and value > cap["above"] and value != cap["value"]


def cap_age_quantity(run: Run, quantity: dict[str, Any], el: Element) -> dict[str, Any]:
    """A Quantity in years, or the value of an age observation, over 89 becomes '>= 90'."""
    if (_is_age_unit(quantity) or _says_age(run, el.parent)) and _over(run, quantity.get("value")):
        run.changed(el.path, report.AGE_CAP)
        return {**quantity, "value": run.rules.raw["ageCap"]["value"], "comparator": ">="}
    return quantity


def age_integer(run: Run, el: Element) -> Result | None:
    """An integer value of an observation coded as an age, over 89, becomes 90."""
    if _says_age(run, el.parent) and _over(run, el.value):
        run.changed(el.path, report.AGE_CAP)
        return Result(run.rules.raw["ageCap"]["value"], el.ext)
    return Result(el.value, el.ext)
