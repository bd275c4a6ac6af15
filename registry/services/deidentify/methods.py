"""The leaf methods named in rules.json: each decides one element and says what it did.

A method returns a ``Result`` (value, '_x' sibling, elements to add to the owner) or ``None``
when the element is dropped. Methods that must walk into a value live in ``walker``.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from . import report
from .context import Element, Result, Run
from .dates import age_range, offset, offset_extension, truncate
from .pseudonyms import URN, is_own_uuid, keyed_hash, pseudonym_uuid
from .text import find_identifiers, scrub_text, scrub_xhtml
from .text.xhtml import EmbeddedImage

UCUM = "http://unitsofmeasure.org"
REFERENCE_TYPE = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/[A-Za-z0-9\-.]{1,64}(?:/_history/[^/]+)?$")


def keep(run: Run, el: Element) -> Result | None:
    return Result(el.value, el.ext)


def refuse(run: Run, el: Element) -> Result | None:
    if el.value not in (None, "", [], {}):
        run.refuse(el.path, report.REFUSED.format(element=f"{el.owner}.{el.name}"))
    return None


def scrub(run: Run, el: Element) -> Result | None:
    if not isinstance(el.value, str):
        return Result(el.value, el.ext)
    if el.type_name == "xhtml":
        try:
            text, counts = scrub_xhtml(el.value, partial(find_identifiers, known=run.known))
        except EmbeddedImage:
            run.refuse(el.path, report.EMBEDDED_IMAGE)
            return None
    else:
        text, counts = scrub_text(el.value, known=run.known)
    if counts:
        run.changed(el.path, report.describe_scrub(counts))
    return Result(text, el.ext)


def _has_offset(run: Run, ext: Any) -> bool:
    url = run.rules.extensions["relativeToPresentation"]
    return isinstance(ext, dict) and any(
        isinstance(x, dict) and x.get("url") == url for x in ext.get("extension", []))


def relative_date(run: Run, el: Element) -> Result | None:
    if not isinstance(el.value, str):
        return Result(el.value, el.ext)
    value = truncate(el.value, el.type_name)
    if _has_offset(run, el.ext):
        return Result(value, el.ext)
    shift = offset(el.value, run.presented_at, run.rules.raw["relativeDates"])
    if shift is None:
        run.changed(el.path, report.MALFORMED)
        return None
    ext = dict(el.ext or {})
    url = run.rules.extensions["relativeToPresentation"]
    ext["extension"] = [*ext.get("extension", []), offset_extension(url, *shift)]
    run.changed(el.path, report.DATE_RELATIVE)
    return Result(value, ext)


def year(run: Run, el: Element) -> Result | None:
    if not isinstance(el.value, str):
        return Result(el.value, el.ext)
    value = truncate(el.value, el.type_name)
    if value != el.value:
        run.changed(el.path, report.DATE_YEAR)
    return Result(value, el.ext)


def keyed_hash_identifier(run: Run, el: Element) -> Result | None:
    v = el.value if isinstance(el.value, dict) else {}
    system, value = v.get("system", ""), v.get("value")
    own = {run.rules.systems["subjectKey"], run.rules.systems["pseudonym"]}
    if not isinstance(value, str) or not value:
        run.changed(el.path, report.REMOVED)
        return None
    out = {k: v[k] for k in ("use",) if k in v}
    if system in own:
        return Result({**out, "system": system, "value": value})
    digest = keyed_hash(run.secret, f"{run.spoke}|{system}|{value}")
    run.changed(el.path, report.KEYED_HASH)
    return Result({**out, "system": run.rules.systems["pseudonym"], "value": digest})


def subject_key(run: Run, el: Element) -> Result | None:
    """The subject's identifiers are replaced by the pseudonymous subject key alone."""
    ours = [{"system": run.rules.systems["subjectKey"], "value": run.subject_key}]
    if el.value != ours:
        run.changed(el.path, report.SUBJECT_KEY)
    return Result(ours) if run.subject_key else None


def pseudonymize_id(run: Run, el: Element) -> Result | None:
    if not isinstance(el.value, str):
        return None
    if is_own_uuid(run.secret, el.value):
        return Result(el.value, el.ext)
    new = run.contained.get("#" + el.value) if run.in_contained else None
    new = (new or "").removeprefix("#") or run.ids.get((el.owner, el.value))
    new = new or pseudonym_uuid(run.secret, f"{run.spoke}|{el.owner}/{el.value}")
    run.changed(el.path, report.PSEUDONYM_ID)
    return Result(new, el.ext)


def _masked(run: Run) -> dict[str, Any]:
    return {"url": run.rules.extensions["dataAbsentReason"], "valueCode": "masked"}


def pseudonymize_reference(run: Run, el: Element) -> Result | None:
    ref = el.value
    if not isinstance(ref, str):
        return None
    mapped = run.contained.get(ref) if ref.startswith("#") else run.references.get(ref)
    if mapped or (ref.startswith(URN) and is_own_uuid(run.secret, ref)):
        if mapped and mapped != ref:
            run.changed(el.path, report.PSEUDONYM_REF)
        return Result(mapped or ref, el.ext)
    match = REFERENCE_TYPE.search(ref)
    target = match.group(1) if match else None
    if target in run.rules.raw["externalReferences"]["keepTypes"] and "://" not in ref:
        return Result(ref, el.ext)  # a directory entry of this network; another host's URL names it
    if el.owner == "Reference" and target == "Patient" and run.subject_key:
        run.changed(el.path, report.SUBJECT_REF)
        key = {"system": run.rules.systems["subjectKey"], "value": run.subject_key}
        return Result(None, extra={"identifier": key})
    run.changed(el.path, report.MASKED_REF)
    if el.owner != "Reference":
        return None
    return Result(None, extra={"extension": [_masked(run)]})


def _band(age: int, width: int, top: int) -> tuple[int, int | None]:
    if age >= top:
        return top, None
    low = age // width * width
    return low, low + width - 1


def age_band_extension(run: Run, youngest: int, oldest: int) -> dict[str, Any]:
    cfg = run.rules.raw["ageBand"]
    low = _band(youngest, cfg["width"], cfg["top"])[0]
    high = _band(oldest, cfg["width"], cfg["top"])[1]
    years = {"unit": "years", "system": UCUM, "code": "a"}
    value: dict[str, Any] = {"low": {"value": low, **years}}
    if high is not None:
        value["high"] = {"value": high, **years}
    return {"url": run.rules.extensions["ageBand"], "valueRange": value}


def generalize_age_band(run: Run, el: Element) -> Result | None:
    ages = age_range(el.value, run.presented_at) if isinstance(el.value, str) else None
    if ages is None:
        run.changed(el.path, report.REMOVED)
        return None
    run.changed(el.path, report.AGE_BAND)
    return Result(None, extra={"extension": [age_band_extension(run, *ages)]})


def keep_own_extensions(run: Run, el: Element) -> Result | None:
    own = {run.rules.extensions["ageBand"]}
    items = el.value if isinstance(el.value, list) else []
    kept = [x for x in items if isinstance(x, dict) and x.get("url") in own
            and set(x) <= {"url", "valueRange"}]
    if len(kept) != len(items):
        run.changed(el.path, report.EXTENSIONS)
    return Result(kept) if kept else None

