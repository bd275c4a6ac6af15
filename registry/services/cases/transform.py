"""The case transform, a step of the write pipeline (registered on the node).

It sees every batch of writes before anything reaches a table, whatever the interaction, and
decides what case content may be stored (the rule is explained in ``registry.services.cases``).
Writes of other resource types pass untouched, at the cost of one type check each.
"""

from __future__ import annotations

from typing import Any

from registry.errors import Unprocessable, error
from registry.services import policy
from registry.services.cases.ingest import ingest
from registry.services.cases.recommendations import FREE_TEXT_OF, scrub_free_text
from registry.services.writes.pending import PendingWrite
from registry.services.writes.pipeline import WriteBatch

HOW_TO_SUBMIT = ("submit it inside a case presentation: a document Bundle POSTed to "
                 "/fhir/Bundle, or the form at /cases; it is de-identified there before it "
                 "is stored")
ALWAYS_CASE = frozenset({"Composition", "Condition", "MedicationStatement"})
# Resource types that only a de-identified case Bundle may carry.
CASE_CONTENT = frozenset({
    *ALWAYS_CASE, "Patient", "Observation", "MedicationRequest", "Medication",
    "AllergyIntolerance", "Procedure", "FamilyMemberHistory", "Immunization",
    "DocumentReference", "Media", "Binary", "RelatedPerson"})
ABOUT_SOMEONE = ("subject", "focus", "encounter", "specimen", "contained")


class CaseTransform:
    """De-identifies case Bundles in place and adds the parts extracted from them; refuses
    case content sent any other way; scrubs the free text of recommendations and
    consultations."""

    def __call__(self, batch: WriteBatch) -> None:
        batch.writes.extend(transform(batch))


def transform(batch: WriteBatch) -> list[PendingWrite]:
    """Transform the batch's writes in place; returns the extra writes (a case's parts)."""
    extra: list[PendingWrite] = []
    for write in list(batch.writes):
        resource = write.resource
        if resource is None:
            continue
        if write.res_type == "Bundle":
            extra.extend(_bundle(batch, write))
        elif write.res_type in FREE_TEXT_OF \
                and policy.kind_of(write.res_type, resource) == write.res_type:
            # recommendations, consultations (not the node's own duplicate-review Tasks)
            batch.notes.extend(scrub_free_text(resource, write.res_type))
        elif _is_case_content(write.res_type, resource):
            raise Unprocessable([error("business-rule", f"{write.res_type} is case content; "
                                       f"{HOW_TO_SUBMIT}", write.res_type)])
    return extra


def _bundle(batch: WriteBatch, write: PendingWrite) -> list[PendingWrite]:
    assert write.resource is not None
    if write.resource.get("type") == "document":
        return ingest(batch, write)
    carried = sorted({t for t in _entry_types(write.resource) if t in CASE_CONTENT})
    if carried:
        raise Unprocessable([error(
            "business-rule", f"a Bundle of type {write.resource.get('type')} may not carry "
            f"case content ({', '.join(carried)}); a case is a document Bundle", "Bundle.entry")])
    return []


def _entry_types(bundle: dict[str, Any]) -> list[str]:
    return [str(e["resource"].get("resourceType")) for e in bundle.get("entry") or []
            if isinstance(e, dict) and isinstance(e.get("resource"), dict)]


def _is_case_content(res_type: str, resource: dict[str, Any]) -> bool:
    """Case content outside a case Bundle: always for the case-only types; an Observation or
    a DocumentReference only when it is about someone (a subject-less score describes no one,
    and a learning resource or a session's recording is about no patient)."""
    if res_type in ALWAYS_CASE:
        return True
    if res_type not in ("Observation", "DocumentReference"):
        return False
    return any(resource.get(k) for k in ABOUT_SOMEONE) or _mentions_patient(resource)


def _mentions_patient(node: Any) -> bool:
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str) and ("Patient/" in ref or ref.startswith("#")):
            return True
        return any(_mentions_patient(v) for v in node.values())
    if isinstance(node, list):
        return any(_mentions_patient(v) for v in node)
    return False
