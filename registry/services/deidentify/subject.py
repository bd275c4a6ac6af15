"""Finding the case's subject and its local reference, for the pseudonymous subject key.

The local reference is what the spoke uses for the patient and will use again at follow-up:
its medical-record identifier (an identifier typed MR, else the first one), else the
Patient's id, else the Composition's external subject reference. If the subject already
carries a subject key (a second pass), that key is kept as it is.
"""

from __future__ import annotations

from typing import Any

from . import report
from .context import Run
from .pseudonyms import subject_key


def patient_entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in bundle.get("entry") or []
            if isinstance(e, dict) and isinstance(e.get("resource"), dict)
            and e["resource"].get("resourceType") == "Patient"]


def _is_mr(identifier: dict[str, Any]) -> bool:
    codings = (identifier.get("type") or {}).get("coding") or []
    return any(isinstance(c, dict) and c.get("code") == "MR" for c in codings)


def _local_reference(patient: dict[str, Any] | None, subject_ref: str | None) -> str | None:
    if patient is not None:
        identifiers = [i for i in patient.get("identifier") or []
                       if isinstance(i, dict) and i.get("value")]
        identifiers.sort(key=lambda i: not _is_mr(i))
        if identifiers:
            return f"{identifiers[0].get('system', '')}|{identifiers[0]['value']}"
        if patient.get("id"):
            return f"Patient/{patient['id']}"
    if subject_ref and subject_ref.startswith("Patient/"):
        return subject_ref
    return None


def compute_subject_key(run: Run, bundle: dict[str, Any]) -> str | None:
    entries = patient_entries(bundle)
    patient = entries[0]["resource"] if entries else None
    system = run.rules.systems["subjectKey"]
    for identifier in (patient or {}).get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("system") == system:
            return identifier.get("value")
    composition = (bundle.get("entry") or [{}])[0].get("resource") or {}
    subject_ref = (composition.get("subject") or {}).get("reference")
    local = _local_reference(patient, subject_ref if not entries else None)
    return subject_key(run.secret, run.spoke, local) if local else None


def store_subject_key(run: Run, bundle_out: dict[str, Any]) -> None:
    """Give the de-identified subject its key as its only identifier."""
    if run.subject_key is None:
        return
    key = {"system": run.rules.systems["subjectKey"], "value": run.subject_key}
    for index, entry in enumerate(bundle_out.get("entry") or []):
        patient = entry.get("resource") or {}
        if patient.get("resourceType") == "Patient" and patient.get("identifier") != [key]:
            run.changed(f"Bundle.entry[{index}].resource.identifier", report.SUBJECT_KEY_ADDED)
            patient["identifier"] = [key]
