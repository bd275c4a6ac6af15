"""What the structured subject already says, to find again in the case's free text.

A case names its patient in ``Patient.name`` and repeats the name, the town and the age in
its narratives, often in a form no recognizer would take for an identifier ('Mr. Parkinson
(96)', 'back in Montréal'). The values removed from the Patient resource are handed to the
text scrubber of the same case as known identifiers: every mention of them is removed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .dates import age_range
from .subject import patient_entries

ADDRESS_PARTS = ("city", "district", "line")
MIN_LENGTH = 3


def _strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [v for v in items if isinstance(v, str) and len(v) >= MIN_LENGTH]


def _patient_values(patient: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in patient.get("name") or []:
        if isinstance(name, dict):
            for part in ("family", "given", "text"):
                found.update(dict.fromkeys(_strings(name.get(part)), "name"))
    for address in patient.get("address") or []:
        if isinstance(address, dict):
            for part in ADDRESS_PARTS:
                kind = "address" if part == "line" else "location"
                found.update(dict.fromkeys(_strings(address.get(part)), kind))
    return found


def _old_age(patient: dict[str, Any], presented_at: date, above: int) -> dict[str, str]:
    birth = patient.get("birthDate")
    ages = age_range(birth, presented_at) if isinstance(birth, str) else None
    if ages is None:
        return {}
    return {str(age): "age" for age in range(ages[0], ages[1] + 1) if age > above}


def known_identifiers(bundle: dict[str, Any], presented_at: date,
                      above: int) -> dict[str, str]:
    """Each identifying value of the case's Patient (name, town, street, age over ``above``)
    and its kind."""
    found: dict[str, str] = {}
    for entry in patient_entries(bundle):
        patient = entry["resource"]
        found.update(_patient_values(patient))
        found.update(_old_age(patient, presented_at, above))
    return found
