"""Write rules of running a program (registered with the node's other write rules).

A cohort is a Group of PractitionerRoles that names a program; a cohort's CarePlan says how
each topic adapts the curriculum and why; a session naming a cohort belongs to the cohort's
program; a consultation says who asks which hub about what, how urgently and how; a learning
resource and its completions say what, where and by whom. Each rule looks only at resources
that claim to be one of these.
"""

from __future__ import annotations

from typing import Any

from registry.errors import Issue, error
from registry.services.consultation import is_consultation
from registry.services.node import Resolver
from registry.services.programs.consultations import check_consultation
from registry.services.programs.learning import (
    check_completion,
    check_learning_resource,
    is_completion,
    is_learning_resource,
)
from registry.services.programs.model import (
    COHORT_PROGRAM,
    SESSION_COHORT,
    SESSION_PROGRAM,
    extension_reference,
)
from registry.services.programs.plan import check_adaptation


def check_programs(resource: dict[str, Any], resolve: Resolver) -> list[Issue]:
    kind = resource.get("resourceType")
    if kind == "Group" and extension_reference(resource, COHORT_PROGRAM):
        return check_cohort(resource, resolve)
    if kind == "CarePlan" and _is_cohort_plan(resource):
        return check_adaptation(resource)
    if kind == "Encounter" and extension_reference(resource, SESSION_COHORT):
        return check_session_cohort(resource, resolve)
    if is_consultation(resource):
        return check_consultation(resource, resolve)
    if is_learning_resource(resource):
        return check_learning_resource(resource, resolve)
    if is_completion(resource):
        return check_completion(resource, resolve)
    return []


def check_cohort(group: dict[str, Any], resolve: Resolver) -> list[Issue]:
    issues = []
    program = extension_reference(group, COHORT_PROGRAM) or ""
    if not program.startswith("HealthcareService/") or resolve(program) is None:
        issues.append(error("business-rule", f"a cohort names a known program "
                            f"(HealthcareService), not {program!r}", "Group.extension"))
    if group.get("type") != "practitioner":
        issues.append(error("business-rule", "a cohort is a Group of type practitioner",
                            "Group.type"))
    for i, member in enumerate(group.get("member") or []):
        ref = (member.get("entity") or {}).get("reference")
        if not isinstance(ref, str) or not ref.startswith("PractitionerRole/"):
            issues.append(error("business-rule", "a cohort's members are PractitionerRoles",
                                f"Group.member[{i}].entity"))
    return issues


def check_session_cohort(session: dict[str, Any], resolve: Resolver) -> list[Issue]:
    cohort_ref = extension_reference(session, SESSION_COHORT) or ""
    cohort = resolve(cohort_ref) if cohort_ref.startswith("Group/") else None
    if cohort is None or extension_reference(cohort, COHORT_PROGRAM) is None:
        return [error("business-rule", f"{cohort_ref!r} is not a known cohort",
                      "Encounter.extension")]
    if extension_reference(cohort, COHORT_PROGRAM) != extension_reference(session,
                                                                          SESSION_PROGRAM):
        return [error("business-rule", "a session of a cohort is a session of the cohort's "
                      "program", "Encounter.extension")]
    return []


def _is_cohort_plan(plan: dict[str, Any]) -> bool:
    subject = (plan.get("subject") or {}).get("reference")
    return bool(plan.get("instantiatesCanonical")) and isinstance(subject, str) \
        and subject.startswith("Group/")
