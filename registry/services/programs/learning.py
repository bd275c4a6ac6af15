"""Asynchronous learning: a hub's catalogue of resources, and mentees' completions.

A learning resource is a DocumentReference of the hub (``custodian``): its kind in ``type``
(``learning-kind``: webinar, podcast, self-paced module, session recording, reading), its program
topic in ``category`` (searchable as ``topic``), its title, language and the URL where it is
hosted in ``content.attachment`` (searchable as ``language``), its length in the
``learning-duration`` extension (minutes), and for a recording the session it comes from in
``context.encounter``. It names no patient: a DocumentReference about someone is case content
and is refused outside a case (``registry.services.cases``).

A completion is a Task (code ``learning-completion``, status ``completed``, ``focus`` the
DocumentReference, ``owner`` the mentee's PractitionerRole): participation that certificates
count beside the sessions attended.
"""

from __future__ import annotations

from typing import Any

from registry.errors import Issue, error
from registry.services.node import Resolver
from registry.services.programs.model import (
    LEARNING_DURATION,
    LEARNING_KIND,
    PROGRAM_TASK,
    TOPIC_SYSTEM,
    codes,
)
from registry.services.sessions import SESSION_PROGRAM

COMPLETION = "learning-completion"


def is_learning_resource(resource: dict[str, Any]) -> bool:
    return resource.get("resourceType") == "DocumentReference" and bool(
        codes(resource.get("type"), LEARNING_KIND))


def is_completion(resource: dict[str, Any]) -> bool:
    return resource.get("resourceType") == "Task" and COMPLETION in codes(
        resource.get("code"), PROGRAM_TASK)


def duration_minutes(resource: dict[str, Any]) -> float:
    for ext in resource.get("extension") or []:
        if ext.get("url") == LEARNING_DURATION:
            value = (ext.get("valueDuration") or {}).get("value")
            return float(value) if isinstance(value, int | float) else 0.0
    return 0.0


def check_learning_resource(doc: dict[str, Any], resolve: Resolver) -> list[Issue]:
    issues = []
    attachments = [c.get("attachment") or {} for c in doc.get("content") or []]
    if not any(a.get("url") and a.get("title") and a.get("language") for a in attachments):
        issues.append(error("business-rule", "a learning resource has a title, a language and "
                            "the URL where it is hosted", "DocumentReference.content"))
    if any(a.get("data") for a in attachments):
        issues.append(error("business-rule", "a learning resource is hosted elsewhere: give its "
                            "url, not its data", "DocumentReference.content"))
    if not codes(doc.get("category"), TOPIC_SYSTEM):
        issues.append(error("business-rule", "a learning resource has a program topic in "
                            "category", "DocumentReference.category"))
    custodian = (doc.get("custodian") or {}).get("reference")
    if not isinstance(custodian, str) or not custodian.startswith("Organization/"):
        issues.append(error("business-rule", "a learning resource names its hub as custodian",
                            "DocumentReference.custodian"))
    if duration_minutes(doc) < 0:
        issues.append(error("value", "a duration is not negative", "DocumentReference.extension"))
    if "session-recording" in codes(doc.get("type"), LEARNING_KIND):
        issues += _check_recording(doc, resolve)
    return issues


def _check_recording(doc: dict[str, Any], resolve: Resolver) -> list[Issue]:
    sessions = [e.get("reference") for e in (doc.get("context") or {}).get("encounter") or []]
    found = [resolve(s) for s in sessions if isinstance(s, str)]
    if not found or not all(f and any(e.get("url") == SESSION_PROGRAM
                                      for e in f.get("extension") or []) for f in found):
        return [error("business-rule", "a session recording names the session it comes from",
                      "DocumentReference.context.encounter")]
    return []


def check_completion(task: dict[str, Any], resolve: Resolver) -> list[Issue]:
    issues = []
    focus = (task.get("focus") or {}).get("reference")
    target = resolve(focus) if isinstance(focus, str) else None
    if target is None or not is_learning_resource(target):
        issues.append(error("business-rule", "a completion's focus is a learning resource",
                            "Task.focus"))
    owner = (task.get("owner") or {}).get("reference")
    if not isinstance(owner, str) or not owner.startswith("PractitionerRole/"):
        issues.append(error("business-rule", "a completion is recorded against the mentee's "
                            "PractitionerRole (owner)", "Task.owner"))
    if task.get("status") != "completed":
        issues.append(error("business-rule", "a completion has status completed",
                            "Task.status"))
    return issues
