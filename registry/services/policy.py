"""Every authorization decision of the registry, as one table.

The table says, for each role and each *category* of resource, how far each interaction
reaches: nowhere (``NONE``), everywhere (``ALL``), only what a hub published
(``PUBLISHED``), or only the caller's own hub, spoke or country (``HUB``, ``SPOKE``,
``COUNTRY``), matched against the resource's stored compartment
(``registry.services.compartment``). Anything not in the table is refused (deny by default).

Interactions are ``read`` (read, vread, search, history: a caller sees the same resources
however it asks), ``create``, ``update`` (also patch), ``delete`` and ``export`` (bulk export).
A write must be allowed for the resource as stored *and* as it will be stored, so nobody can
move a resource into or out of a compartment they do not hold. AuditEvents are never written
through the API, by anyone: the audit service writes them directly.

The same decision comes in two shapes: ``permits`` for one resource whose compartment is known
(reads, writes, bundle entries) and ``restriction``, which ``registry.storage.scope`` turns
into SQL (search, includes, chaining, history, ``_summary=count``), so the count a caller sees
is always the count of what it may read.

Choices the issue left open, and why:

- hub-admin reads every aggregate outcome: the global viewer sees them all, so hiding them
  from a hub protects nothing; it writes recommendations (Communication) about its own hub's
  cases, because answering cases is what a hub does; it only reads its spokes' evaluation
  responses (nobody but the spoke should put answers in a mentee's mouth).
- spoke-clinician reads its hub's Questionnaires: it cannot submit a response to a form it may
  not see.
- case data: the table says *who* may write a spoke's cases; *how* is the case pipeline's
  (``registry.services.cases``), which runs after authorization: a case is created only as a
  document Bundle, its parts are never written on their own and a stored case never changes
  (422 for every role, network-admin included). So ``create`` on ``case`` means "present a
  case"; the ``update`` grants only ever reach that 422.
- consultations (ServiceRequest, and the Tasks that assign them or record a mentee's
  completion of a learning resource) stay in their hub and spoke: the spoke's clinicians ask
  and complete, the hub's admins assign and answer (the answer is a Communication, as for
  cases); the question is de-identified free text, so reading it is audited like case data.
  Learning resources (DocumentReference) are the hub's catalogue: its admins keep it, the
  clinicians of its spokes read it.
- Measure definitions, CodeSystems, ValueSets and StructureDefinitions are the network's
  shared vocabulary: every signed-in role but ``peer`` reads them; peers pull only what the
  issue lists (published directory and aggregate outcomes) and the Measures those outcomes
  report. Measures are the indicators the node computes, shipped under ``schemas/measures``:
  like the conformance resources, only the node stores them (``registry db upgrade``).
- a token issued at the SMART token endpoint carries the ``system/`` scopes it was granted: they
  narrow its role, never widen it. ``system/*.read`` (or ``.rs``) reads what the role reads;
  ``system/Organization.read`` reads Organizations only (403 for every other type, as for a
  role that may not); a scoped token never writes or exports. Tokens made on the command line
  carry no scopes and reach what their role reaches.
- a duplicate-review Task is the network's own review queue (``review``): only network-admin
  (and the sync, acting as the node) writes or reads it; a hub or spoke token that may write its
  own Tasks may not create one (its owner would be stamped with the creator's hub).
- conformance resources (CodeSystem, ValueSet, StructureDefinition, SearchParameter) are the
  ones the server runs on, shipped under ``schemas/``: nobody writes them over the API, not
  even network-admin (an edited copy would not change what the server does). Only the node
  itself (``NODE_ROLE``, which no token carries) stores them, on ``registry db upgrade``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from registry.storage.compartments import Compartment
from registry.storage.scope import Reach, Restriction

INTERACTIONS = ("read", "create", "update", "delete", "export")
NODE_ROLE = "node"  # the node itself, storing its conformance resources (``Caller.node``)


Scope = Reach  # the policy's word for how far an interaction reaches


NONE, ALL, PUBLISHED = Reach.NONE, Reach.ALL, Reach.PUBLISHED
HUB, SPOKE, COUNTRY = Reach.HUB, Reach.SPOKE, Reach.COUNTRY

# A Task whose code puts it in a category of its own is judged as this kind (``kind_of``).
TASK_CODE_SYSTEM = "https://telementoring.example.org/fhir/CodeSystem/task-code"
REVIEW_TASK = "Task:duplicate-review"

CATEGORY_OF: dict[str, str] = {
    **dict.fromkeys(("Organization", "Location", "OrganizationAffiliation", "Practitioner",
                     "PractitionerRole", "HealthcareService", "Endpoint"), "directory"),
    **dict.fromkeys(("Encounter", "Group", "PlanDefinition", "CarePlan"), "program"),
    "Questionnaire": "evaluation",
    "QuestionnaireResponse": "response",
    **dict.fromkeys(("Composition", "Bundle", "Condition", "Observation",
                     "MedicationStatement"), "case"),
    "Communication": "recommendation",
    **dict.fromkeys(("ServiceRequest", "Task"), "consultation"),
    REVIEW_TASK: "review",
    "DocumentReference": "learning",
    "Measure": "measure",
    "MeasureReport": "aggregate",
    "Provenance": "provenance",
    "AuditEvent": "audit",
    **dict.fromkeys(("CodeSystem", "ValueSet", "StructureDefinition", "SearchParameter"),
                    "conformance"),
}

# SMART system scopes (v1 ``read``, v2 ``rs``): every type, or one named type.
SYSTEM_SCOPE = re.compile(r"system/(\*|[A-Z][A-Za-z]{0,63})\.(read|rs)")
EVERY_TYPE = "*"

# Categories that hold case-level data: reading them is audited.
CASE_LEVEL = frozenset({"case", "recommendation", "response", "consultation"})

#                               read        create  update  delete  export
_ADMIN = (ALL, ALL, ALL, ALL, ALL)
RULES: dict[str, dict[str, tuple[Scope, Scope, Scope, Scope, Scope]]] = {
    "network-admin": {
        **{category: _ADMIN for category in set(CATEGORY_OF.values())},
        "audit":                (ALL,       NONE,   NONE,   NONE,   NONE),
        "measure":              (ALL,       NONE,   NONE,   NONE,   ALL),
        "conformance":          (ALL,       NONE,   NONE,   NONE,   ALL),
    },
    "hub-admin": {
        "directory":            (ALL,       HUB,    HUB,    HUB,    NONE),
        "program":              (HUB,       HUB,    HUB,    HUB,    NONE),
        "evaluation":           (HUB,       HUB,    HUB,    HUB,    NONE),
        "response":             (HUB,       NONE,   NONE,   NONE,   NONE),
        "case":                 (HUB,       NONE,   NONE,   NONE,   NONE),
        "recommendation":       (HUB,       HUB,    HUB,    NONE,   NONE),
        "consultation":         (HUB,       HUB,    HUB,    NONE,   NONE),
        "learning":             (HUB,       HUB,    HUB,    HUB,    NONE),
        "measure":              (ALL,       NONE,   NONE,   NONE,   NONE),
        "aggregate":            (ALL,       NONE,   NONE,   NONE,   NONE),
        "provenance":           (HUB,       NONE,   NONE,   NONE,   NONE),
        "conformance":          (ALL,       NONE,   NONE,   NONE,   NONE),
    },
    "spoke-clinician": {
        "directory":            (ALL,       NONE,   NONE,   NONE,   NONE),
        "evaluation":           (HUB,       NONE,   NONE,   NONE,   NONE),
        "response":             (SPOKE,     SPOKE,  SPOKE,  NONE,   NONE),
        "case":                 (SPOKE,     SPOKE,  SPOKE,  NONE,   NONE),
        "recommendation":       (SPOKE,     NONE,   NONE,   NONE,   NONE),
        "consultation":         (SPOKE,     SPOKE,  SPOKE,  NONE,   NONE),
        "learning":             (HUB,       NONE,   NONE,   NONE,   NONE),
        "conformance":          (ALL,       NONE,   NONE,   NONE,   NONE),
    },
    "national-program": {
        "directory":            (ALL,       NONE,   NONE,   NONE,   COUNTRY),
        "measure":              (ALL,       NONE,   NONE,   NONE,   NONE),
        "aggregate":            (COUNTRY,   NONE,   NONE,   NONE,   NONE),
        "conformance":          (ALL,       NONE,   NONE,   NONE,   NONE),
    },
    "global-viewer": {
        "directory":            (PUBLISHED, NONE,   NONE,   NONE,   NONE),
        "measure":              (ALL,       NONE,   NONE,   NONE,   NONE),
        "aggregate":            (ALL,       NONE,   NONE,   NONE,   NONE),
        "conformance":          (ALL,       NONE,   NONE,   NONE,   NONE),
    },
    "peer": {
        "directory":            (PUBLISHED, NONE,   NONE,   NONE,   NONE),
        "measure":              (ALL,       NONE,   NONE,   NONE,   NONE),
        "aggregate":            (ALL,       NONE,   NONE,   NONE,   NONE),
    },
    NODE_ROLE: {
        "measure":              (ALL,       ALL,    ALL,    ALL,    NONE),
        "conformance":          (ALL,       ALL,    ALL,    ALL,    NONE),
    },
}
ROLES = tuple(role for role in RULES if role != NODE_ROLE)  # the roles a token may carry

# A hub's own dashboard pages (its hub page, its programs, their activity and cases): the
# hub's admins, its country's national program, the network's admins. Everyone else sees the
# hub on the overview, as the directory rules allow, without a way into its pages.
HUB_PAGES: dict[str, Scope] = {"network-admin": ALL, "hub-admin": HUB, "national-program": COUNTRY}
ORGANIZATION_ROLES = frozenset({"hub-admin", "spoke-clinician"})  # bound to Organization/ID
COUNTRY_ROLES = frozenset({"national-program"})  # bound to an ISO 3166 alpha-2 code


@dataclass(frozen=True)
class Subject:
    """A caller as the policy sees it: a role and the compartment its token binds it to."""

    role: str
    hub: str | None = None
    spoke: str | None = None
    country: str | None = None
    reads: frozenset[str] | None = None  # SMART-scoped: the types it may read ("*": all)


def category(res_type: str) -> str:
    return CATEGORY_OF.get(res_type, "unclassified")


def scope(subject: Subject, interaction: str, res_type: str) -> Scope:
    """How far ``interaction`` on ``res_type`` reaches for ``subject`` (NONE when unlisted,
    and when the token's scopes do not reach it)."""
    grants = RULES.get(subject.role, {}).get(category(res_type))
    if not grants or not _scoped_in(subject.reads, interaction, res_type):
        return NONE
    return grants[INTERACTIONS.index(interaction)]


def scoped_types(scopes: Iterable[str] | None) -> frozenset[str] | None:
    """What ``Subject.reads`` holds for a token's scopes: None for a token without scopes,
    ``{"*"}`` when a wildcard reaches every type, else the types named (unknown forms
    reach nothing)."""
    if scopes is None:
        return None
    types = set()
    for text in scopes:
        match = SYSTEM_SCOPE.fullmatch(text)
        if match is not None:
            types.add(match.group(1))
    return frozenset({EVERY_TYPE}) if EVERY_TYPE in types else frozenset(types)


def kind_of(res_type: str, resource: Mapping[str, Any] | None) -> str:
    """What a write is judged as: its type, or ``REVIEW_TASK`` for a duplicate-review Task."""
    if res_type != "Task" or resource is None:
        return res_type
    code = resource.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    for coding in codings if isinstance(codings, list) else []:
        if isinstance(coding, dict) and coding.get("system") == TASK_CODE_SYSTEM \
                and f"Task:{coding.get('code')}" in CATEGORY_OF:
            return f"Task:{coding['code']}"
    return res_type


def _scoped_in(reads: frozenset[str] | None, interaction: str, res_type: str) -> bool:
    if reads is None:
        return True
    return interaction == "read" and (EVERY_TYPE in reads or res_type in reads)


def permits(subject: Subject, interaction: str, res_type: str,
            compartment: Compartment | None) -> bool:
    """May ``subject`` perform ``interaction`` on one resource in ``compartment``?"""
    reach = scope(subject, interaction, res_type)
    if reach in (NONE, ALL):
        return reach is ALL
    c = compartment or Compartment()
    held = {PUBLISHED: c.published, HUB: _same(c.hub, subject.hub),
            SPOKE: _same(c.spoke, subject.spoke), COUNTRY: _same(c.country, subject.country)}
    return held[reach]


def opens_hub_pages(subject: Subject, compartment: Compartment | None) -> bool:
    """May ``subject`` open the dashboard pages of the hub that owns ``compartment``?"""
    reach = HUB_PAGES.get(subject.role, NONE)
    if reach in (NONE, ALL):
        return reach is ALL
    c = compartment or Compartment()
    return _same(c.hub, subject.hub) if reach is HUB else _same(c.country, subject.country)


def restriction(subject: Subject, interaction: str, res_type: str) -> Restriction:
    """How far ``interaction`` on ``res_type`` reaches for ``subject``, with the compartment it
    holds there: what ``registry.storage.scope`` turns into SQL."""
    reach = scope(subject, interaction, res_type)
    held = {HUB: subject.hub, SPOKE: subject.spoke, COUNTRY: subject.country}.get(reach)
    return Restriction(reach, held)


def granted_to_some_role(interaction: str, res_type: str) -> bool:
    """Whether any role may ``interaction`` some ``res_type`` (what the server advertises)."""
    return any(scope(Subject(role), interaction, res_type) is not NONE for role in ROLES)


def reads_evaluation_analysis(subject: Subject, program: Compartment | None) -> bool:
    """An evaluation analysis or report is an aggregate of person-level responses: whoever
    reads a program's responses reads it; a national program reads those of its own country's
    programs (aggregates only, never the responses)."""
    return permits(subject, "read", "QuestionnaireResponse", program) or (
        subject.role in COUNTRY_ROLES and permits(subject, "read", "MeasureReport", program))


def opens_evaluation_window(subject: Subject, program: Compartment | None) -> bool:
    """Opening a pre or post window hands out links whose answers become the program's
    responses: whoever keeps the program (may update it) opens them."""
    return permits(subject, "update", "HealthcareService", program)


def is_case_level(res_type: str) -> bool:
    return category(res_type) in CASE_LEVEL


def _same(owner: str | None, held: str | None) -> bool:
    return owner is not None and owner == held
