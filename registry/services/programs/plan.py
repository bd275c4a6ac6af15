"""A cohort's work plan: the curriculum (PlanDefinition) as adapted for it (CarePlan).

A curriculum action is one didactic topic: ``id`` (its code in the plan), ``title``, and the
need it answers in ``reason`` (a program-topic coding). The cohort's CarePlan (``subject`` the
Group, ``instantiatesCanonical`` the curriculum's url, status ``active``) lists its topics in
the cohort's order; each activity's ``detail.code`` names the topic (system: the curriculum's
url, code: the action id, or a code of the CarePlan's own for a topic the cohort added), the
``curriculum-adaptation`` extension says whether it was kept, added, dropped or moved, and
``detail.reasonCode`` why. A dropped topic has ``detail.status`` ``cancelled``. Without a
CarePlan the cohort follows the curriculum as written (when the Group names one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry.errors import Issue, error
from registry.services.fhir import FhirService
from registry.services.programs.model import ADAPTATION, ADAPTATIONS, search_all


@dataclass(frozen=True)
class Topic:
    """One topic of a cohort's plan, in order."""

    system: str
    code: str
    title: str
    dropped: bool = False

    def concept(self) -> dict[str, Any]:
        """The topic as a session's ``Encounter.type``."""
        return {"coding": [{"system": self.system, "code": self.code, "display": self.title}],
                "text": self.title}


def cohort_plan(service: FhirService, group_id: str) -> dict[str, Any] | None:
    """The cohort's active CarePlan (the latest one when several are active)."""
    plans = list(search_all(service, "CarePlan", {"subject": [f"Group/{group_id}"],
                                                  "status": ["active"]}))
    plans.sort(key=lambda p: str((p.get("meta") or {}).get("lastUpdated") or ""))
    return plans[-1] if plans else None


def topics_of(plan: dict[str, Any]) -> list[Topic]:
    """The topics of a CarePlan, in order, dropped ones included (flagged)."""
    found = []
    for activity in plan.get("activity") or []:
        detail = activity.get("detail") or {}
        coding = next(iter((detail.get("code") or {}).get("coding") or []), None)
        if not isinstance(coding, dict) or not coding.get("code"):
            continue
        title = str(coding.get("display") or detail.get("description") or coding["code"])
        found.append(Topic(str(coding.get("system") or ""), str(coding["code"]), title,
                           detail.get("status") == "cancelled"))
    return found


def curriculum_topics(curriculum: dict[str, Any]) -> list[Topic]:
    """The topics of a curriculum PlanDefinition, in order."""
    system = str(curriculum.get("url") or f"PlanDefinition/{curriculum.get('id')}")
    return [Topic(system, str(action["id"]), str(action.get("title") or action["id"]))
            for action in curriculum.get("action") or [] if action.get("id")]


def planned_topics(service: FhirService, group_id: str) -> list[dict[str, Any]]:
    """The topics the cohort still has to cover, in order, as ``Encounter.type`` concepts."""
    plan = cohort_plan(service, group_id)
    if plan is None:
        return []
    covered = covered_topics(service, group_id)
    return [t.concept() for t in topics_of(plan) if not t.dropped
            and (t.system, t.code) not in covered]


def covered_topics(service: FhirService, group_id: str) -> set[tuple[str, str]]:
    """Topics (system, code) of the cohort's sessions that are planned or held."""
    found = set()
    for session in search_all(service, "Encounter", {"cohort": [f"Group/{group_id}"]}):
        if session.get("status") == "cancelled":
            continue
        for concept in session.get("type") or []:
            for coding in concept.get("coding") or []:
                found.add((str(coding.get("system") or ""), str(coding.get("code") or "")))
    return found


def check_adaptation(plan: dict[str, Any]) -> list[Issue]:
    """What is wrong with a cohort CarePlan's adaptations: each activity says how it changed
    the curriculum, and every change but ``kept`` gives its reason."""
    issues = []
    for i, activity in enumerate(plan.get("activity") or []):
        where = f"CarePlan.activity[{i}]"
        detail = activity.get("detail") or {}
        kind = next((e.get("valueCode") for e in activity.get("extension") or []
                     if e.get("url") == ADAPTATION), None)
        if kind not in ADAPTATIONS:
            issues.append(error("business-rule", f"each topic says how it adapts the curriculum "
                                f"({', '.join(ADAPTATIONS)}) in {ADAPTATION}",
                                f"{where}.extension"))
        elif kind != "kept" and not detail.get("reasonCode"):
            issues.append(error("business-rule", f"a topic {kind} needs its reason",
                                f"{where}.detail.reasonCode"))
        if kind == "dropped" and detail.get("status") != "cancelled":
            issues.append(error("business-rule", "a dropped topic has status cancelled",
                                f"{where}.detail.status"))
    return issues
