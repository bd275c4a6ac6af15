"""De-identification of one case presentation: the registry's entry point.

Order matters: the subject key is computed from the untouched input, the reference map is
built for the whole Bundle, then every resource is walked under the rules, refusals are
raised together, and the result is validated as an R4B Bundle before it is returned.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from registry.errors import Issue, Unprocessable, error

from .context import Run
from .known import known_identifiers
from .references import build_reference_map
from .rules import load_rules
from .subject import compute_subject_key, patient_entries, store_subject_key
from .walker import walk_resource

MAX_VALIDATION_ISSUES = 10


@dataclass(frozen=True)
class DeidentifiedCase:
    bundle: dict[str, Any]  # the de-identified document Bundle (valid R4B)
    issues: list[Issue]  # information issues: what was changed
    subject_key: str | None


def _check_shape(bundle: Any) -> None:
    """A case is a document Bundle opening with a Composition, about at most one patient."""
    problems = []
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise Unprocessable([error("structure", "a case must be a FHIR Bundle", "Bundle")])
    if bundle.get("type") != "document":
        problems.append(error("structure", "a case must be a document Bundle", "Bundle.type"))
    entries = bundle.get("entry")
    first = entries[0] if isinstance(entries, list) and entries else None
    resource = first.get("resource") if isinstance(first, dict) else None
    if not isinstance(resource, dict) or resource.get("resourceType") != "Composition":
        problems.append(error("structure", "the first entry of a case must be a Composition",
                              "Bundle.entry[0]"))
    if len(patient_entries(bundle)) > 1:
        problems.append(error("business-rule", "a case presents one patient; several found",
                              "Bundle.entry"))
    if problems:
        raise Unprocessable(problems)


def _validate(bundle: dict[str, Any]) -> None:
    """Raise if the result is not a valid R4B Bundle; report locations, never values."""
    try:
        Bundle.model_validate(bundle)
    except ValidationError as exc:
        issues = [error("invalid", f"de-identified case is not valid R4B: {e['type']}",
                        "Bundle." + ".".join(str(p) for p in e["loc"]))
                  for e in exc.errors()[:MAX_VALIDATION_ISSUES]]
        raise Unprocessable(issues) from None


def deidentify_case(bundle: dict[str, Any], *, secret: bytes, spoke: str,
                    presented_at: date) -> DeidentifiedCase:
    """De-identify a case presentation Bundle; the input is left untouched.

    Raises ``Unprocessable`` when something cannot be made safe (images, attachments with
    data, Media, Binary, resource types a case does not accept) or the result is not valid.
    """
    if not secret:
        raise ValueError("a node secret is required for keyed hashes")
    _check_shape(bundle)
    run = Run(secret=secret, spoke=spoke, presented_at=presented_at, rules=load_rules())
    run.subject_key = compute_subject_key(run, bundle)
    run.known = known_identifiers(bundle, presented_at, run.rules.raw["ageCap"]["above"])
    build_reference_map(run, bundle.get("entry") or [])
    out = walk_resource(run, bundle, "Bundle")
    if run.refusals or out is None:
        raise Unprocessable(run.refusals)
    store_subject_key(run, out)
    out = copy.deepcopy(out)
    _validate(out)
    return DeidentifiedCase(bundle=out, issues=run.issues, subject_key=run.subject_key)
