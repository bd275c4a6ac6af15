"""The rules every write must pass after structural validation (profiles, terminology).

Kept as one list so the write pipeline has a single place that says what "valid" means.
"""

from __future__ import annotations

from registry.services.context import WriteRule


def default_write_rules() -> tuple[WriteRule, ...]:
    return ()
