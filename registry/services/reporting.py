"""The one way to an ``OutcomesService``: the node's disclosure settings and the evaluation
pairs, for every caller (HTTP, CLI, the demo).

It lives beside the two packages rather than in either: the evaluations package reads the
outcomes' threshold, so the outcomes package takes its evaluation source as a parameter.
"""

from __future__ import annotations

from registry.services.evaluations.facts import paired_changes
from registry.services.fhir import FhirService
from registry.services.outcomes.service import OutcomesService, outcome_settings


def outcomes_service(fhir: FhirService) -> OutcomesService:
    """Outcomes in ``fhir``'s unit of work, under the node's threshold and aggregators."""
    node = fhir.ctx.node
    return OutcomesService(fhir, outcome_settings(node.disclosure_threshold, node.aggregators),
                           evaluations=paired_changes)
