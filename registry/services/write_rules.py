"""The rules every write must pass after structural validation (profiles, terminology).

Kept as one list so the write pipeline has a single place that says what "valid" means.
"""

from __future__ import annotations

from typing import Any

from registry.errors import Issue
from registry.services import profiles
from registry.services.evaluations.instruments import instrument_rule
from registry.services.node import Resolver, WriteRule
from registry.services.programs.rules import check_programs


def conforms_to_profiles(resource: dict[str, Any], resolve: Resolver) -> list[Issue]:
    """The network's profiles, chosen by claim or by kind, with value-set bindings."""
    return profiles.check(resource, resolve)


def default_write_rules() -> tuple[WriteRule, ...]:
    return (conforms_to_profiles, instrument_rule, check_programs)
