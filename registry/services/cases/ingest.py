"""One case presentation (a document Bundle) through de-identification into the store.

The links of a case are registry resources, not patient data, and de-identification would
mask them as "references outside the case": the session (``Composition.encounter``) and the
earlier presentation of a follow-up (``Composition.relatesTo.targetReference``). They are
checked, taken out before the engine runs and put back afterwards. The presenter's
``PractitionerRole`` (``Composition.author``) is kept by the engine and gives the spoke whose
keyed hashes make the pseudonymous subject key.

What is stored: the de-identified Bundle (in place of what was sent) plus its Composition,
Conditions, Observations and MedicationStatements as individual resources whose ids are those
of the de-identified Bundle, with bundle-local ``urn:uuid`` references rewritten to
``Type/id``. Each extracted Condition, Observation and MedicationStatement names its
Composition as owner (``compartment.OWNER_EXTENSION``), so it lands in the presenting spoke's
security compartment with the case. The Composition (and the Bundle) carry the subject key as
a ``meta.tag``, so the cases of one patient are found with ``Composition?_tag=<system>|<key>``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from registry.errors import Conflict, Issue, Unprocessable, error, information
from registry.services.compartment import OWNER_EXTENSION, case_presenter
from registry.services.deidentify import DeidentifiedCase, deidentify_case
from registry.services.deidentify.rules import load_rules
from registry.services.sessions import check_session, session_date
from registry.services.writes.pending import PendingWrite
from registry.services.writes.pipeline import WriteBatch
from registry.services.writes.prepare import prepare

EXTRACTED = ("Composition", "Condition", "Observation", "MedicationStatement")
COMPOSITION = "Bundle.entry[0].resource"
URN = "urn:uuid:"


@dataclass
class Links:
    """What ties a case to the registry, read from the submitted Composition."""

    session: str
    author: str
    spoke: str
    presented_at: date
    follow_ups: list[dict[str, Any]] = field(default_factory=list)  # relatesTo entries


def subject_key_system() -> str:
    return str(load_rules().systems["subjectKey"])


def ingest(batch: WriteBatch, write: PendingWrite) -> list[PendingWrite]:
    """De-identify the case Bundle of ``write`` in place; return the extracted writes."""
    assert write.resource is not None
    _refuse_change(batch, write)
    submitted = write.resource
    links = read_links(batch, submitted)
    case = deidentify_case(_without_links(submitted), secret=batch.ctx.node.secret.value(),
                           spoke=links.spoke, presented_at=links.presented_at)
    bundle = case.bundle
    _restore_links(bundle["entry"][0]["resource"], links)
    _tag_subject(bundle, case)
    submitted.clear()
    submitted.update(bundle)
    extracted = _extracted(batch, bundle)
    batch.notes.extend([*case.issues, *_follow_up_notes(batch, links, case)])
    return extracted


def _refuse_change(batch: WriteBatch, write: PendingWrite) -> None:
    current = batch.ctx.resources.current("Bundle", [write.res_id]).get(write.res_id)
    if current is not None and not current.deleted:
        raise Unprocessable([error(
            "business-rule", f"Bundle/{write.res_id} is a case presentation and cannot be "
            "changed; present the patient again as a follow-up whose Composition.relatesTo "
            "targets the earlier Composition", "Bundle")])


# ---- links --------------------------------------------------------------------------------


def read_links(batch: WriteBatch, bundle: dict[str, Any]) -> Links:
    """Session, presenter, spoke and follow-ups of a case; 422 naming what is missing."""
    composition = _composition(bundle)
    session_ref = _reference(composition.get("encounter"))
    if not session_ref.startswith("Encounter/"):
        raise _missing("encounter", "a case is presented in a session: Composition.encounter "
                       "must reference the session Encounter (Encounter/ID)")
    author, spoke = _presenter(batch, composition)
    session = _session(batch, session_ref, spoke)
    follow_ups = [r for r in composition.get("relatesTo") or []
                  if _reference(r.get("targetReference")).startswith("Composition/")]
    for index, relation in enumerate(follow_ups):
        target = _reference(relation.get("targetReference"))
        if not _readable(batch, target):
            raise _missing(f"relatesTo[{index}].targetReference",
                           f"{target} is not a case presentation this presenter can follow "
                           "up")
    presented = session_date(session) or datetime.now(UTC).date()
    return Links(session_ref, author, spoke, presented, follow_ups)


def _session(batch: WriteBatch, session_ref: str, spoke: str) -> dict[str, Any]:
    """The session, when it belongs to the presenting spoke's hub; the same refusal otherwise,
    whether or not it exists (no oracle for Encounter ids or for another hub's schedule)."""
    found = batch.ctx.resources.resolve(session_ref)
    if found is None or not batch.access.same_hub(session_ref, spoke):
        raise _missing("encounter", f"{session_ref} is not a session this presenter can "
                       "present in (a session of the spoke's own hub)")
    return check_session(found, session_ref)


def _readable(batch: WriteBatch, reference: str) -> bool:
    """Stored (or in this batch) and readable by the caller, as the policy says."""
    if reference in batch.ctx.resources.pending:
        return True
    res_type, _, res_id = reference.partition("/")
    return (batch.ctx.resources.resolve(reference) is not None
            and batch.access.may_read(res_type, res_id))


def _composition(bundle: dict[str, Any]) -> dict[str, Any]:
    entries = bundle.get("entry") or [{}]
    first = entries[0].get("resource") if isinstance(entries[0], dict) else None
    if not isinstance(first, dict) or first.get("resourceType") != "Composition":
        raise Unprocessable([error("structure", "the first entry of a case must be a "
                                   "Composition", "Bundle.entry[0]")])
    return first


def _reference(value: Any) -> str:
    ref = value.get("reference") if isinstance(value, dict) else None
    return ref if isinstance(ref, str) else ""


def _missing(element: str, message: str) -> Unprocessable:
    return Unprocessable([error("required", message, f"{COMPOSITION}.{element}")])


def _presenter(batch: WriteBatch, composition: dict[str, Any]) -> tuple[str, str]:
    """The presenter's PractitionerRole (``case_presenter``: the one reading of the author
    that the compartment uses too) and the Organization (spoke) it works at."""
    role_ref = case_presenter(composition) or ""
    role = batch.ctx.resources.resolve(role_ref) if role_ref else None
    spoke = _reference((role or {}).get("organization"))
    if role is None or not spoke:
        raise _missing("author", "Composition.author must reference the presenter's "
                       "PractitionerRole, which names the spoke Organization")
    return role_ref, spoke


def _without_links(bundle: dict[str, Any]) -> dict[str, Any]:
    """A copy for the engine: session and follow-up references taken out (put back later),
    and any subject key the client sent taken out (only the node mints one)."""
    copied = copy.deepcopy(bundle)
    _drop_subject_keys(copied)
    composition = copied["entry"][0]["resource"]
    composition.pop("encounter", None)
    kept = [r for r in composition.get("relatesTo") or []
            if not _reference(r.get("targetReference")).startswith("Composition/")]
    if kept:
        composition["relatesTo"] = kept
    else:
        composition.pop("relatesTo", None)
    return copied


def _drop_subject_keys(bundle: dict[str, Any]) -> None:
    system = subject_key_system()
    for resource in [bundle, *[e.get("resource") for e in bundle.get("entry") or []
                               if isinstance(e, dict)]]:
        if not isinstance(resource, dict):
            continue
        meta = resource.get("meta")
        if isinstance(meta, dict) and isinstance(meta.get("tag"), list):
            meta["tag"] = [t for t in meta["tag"]
                           if not (isinstance(t, dict) and t.get("system") == system)]
        if isinstance(resource.get("identifier"), list):
            resource["identifier"] = [i for i in resource["identifier"]
                                      if not (isinstance(i, dict) and i.get("system") == system)]


def _restore_links(composition: dict[str, Any], links: Links) -> None:
    composition["encounter"] = {"reference": links.session}
    restored = [{"code": r.get("code", "appends"),
                 "targetReference": {"reference": _reference(r.get("targetReference"))}}
                for r in links.follow_ups]
    if restored:
        composition["relatesTo"] = [*(composition.get("relatesTo") or []), *restored]


def _tag_subject(bundle: dict[str, Any], case: DeidentifiedCase) -> None:
    if case.subject_key is None:
        return
    tag = {"system": subject_key_system(), "code": case.subject_key}
    for resource in (bundle, bundle["entry"][0]["resource"]):
        meta = resource.setdefault("meta", {})
        meta["tag"] = [*[t for t in meta.get("tag") or [] if t.get("system") != tag["system"]],
                       tag]


def _follow_up_notes(batch: WriteBatch, links: Links, case: DeidentifiedCase
                     ) -> list[Issue]:
    """Warn when a follow-up's earlier case has another subject key (another patient?)."""
    notes = []
    for relation in links.follow_ups:
        target = _reference(relation.get("targetReference"))
        earlier = batch.ctx.resources.resolve(target) or {}
        keys = {t.get("code") for t in (earlier.get("meta") or {}).get("tag") or []
                if t.get("system") == subject_key_system()}
        if case.subject_key and case.subject_key not in keys:
            notes.append(Issue("warning", "business-rule", f"{target} was presented for "
                               "another subject key: check the patient's local reference",
                               (f"{COMPOSITION}.relatesTo",)))
    return notes


# ---- extraction ---------------------------------------------------------------------------


def _extracted(batch: WriteBatch, bundle: dict[str, Any]) -> list[PendingWrite]:
    """Composition, Conditions, Observations, MedicationStatements as their own writes."""
    _give_ids(bundle)
    local = {e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}"
             for e in bundle["entry"] if e.get("fullUrl") and e["resource"].get("id")}
    composition = f"Composition/{bundle['entry'][0]['resource']['id']}"
    writes = []
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] in EXTRACTED:
            own = _rewrite(copy.deepcopy(resource), local)
            if own["resourceType"] != "Composition":
                _owned_by(own, composition)
            prepare(batch.ctx, own)
            writes.append(PendingWrite(own["resourceType"], own["id"], own, "POST",
                                       prepared=True, derived=True))
    _refuse_resubmission(batch, writes)
    return writes


def _owned_by(part: dict[str, Any], composition: str) -> None:
    """A case part belongs to its case: its security compartment is the Composition's."""
    kept = [e for e in part.get("extension") or [] if e.get("url") != OWNER_EXTENSION]
    part["extension"] = [*kept, {"url": OWNER_EXTENSION,
                                 "valueReference": {"reference": composition}}]


def _give_ids(bundle: dict[str, Any]) -> None:
    """An entry without an id takes its (pseudonymous) ``urn:uuid`` fullUrl's uuid."""
    for entry in bundle["entry"]:
        full = entry.get("fullUrl")
        if not entry["resource"].get("id") and isinstance(full, str) and full.startswith(URN):
            entry["resource"]["id"] = full.removeprefix(URN)


def _rewrite(node: Any, local: dict[str, str]) -> Any:
    """Bundle-local references (``urn:uuid:...``) become ``Type/id`` of the stored copies."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str) and value in local:
                node[key] = local[value]
            else:
                _rewrite(value, local)
    elif isinstance(node, list):
        for item in node:
            _rewrite(item, local)
    return node


def _refuse_resubmission(batch: WriteBatch, writes: list[PendingWrite]) -> None:
    """Pseudonymous ids are deterministic: the same case sent twice maps to the same ids."""
    for write in writes:
        current = batch.ctx.resources.current(write.res_type, [write.res_id]).get(write.res_id)
        if current is not None and not current.deleted:
            raise Conflict([error("duplicate", f"this case was already submitted "
                                  f"({write.res_type}/{write.res_id}); present the patient "
                                  "again as a follow-up", "Bundle")])
        write.current = current


def stored_note(composition_id: str) -> Issue:
    return information("informational", f"case stored; its Composition is "
                       f"Composition/{composition_id}", COMPOSITION)
