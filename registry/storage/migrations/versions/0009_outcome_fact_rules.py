"""outcome facts of consultations, their answers and cohort members (attrition, turnaround)

Revision ID: 0009_outcome_fact_rules
Revises: 0008_federation_review
Create Date: 2026-12-06 09:00:00

The fact rules (``registry.services.outcomes.facts``) gained three kinds: ``consultation``
(ServiceRequest), ``answer`` (Communication) and ``member`` (cohort Group). The facts of the
resources of those types stored before are derived again here, in the upgrade's transaction,
so that the new indicators count what a database already holds. Downgrading removes the three
kinds (the rules that wrote them are gone then).
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0009_outcome_fact_rules'
down_revision: str | None = '0008_federation_review'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANGED_TYPES = ("ServiceRequest", "Communication", "Group")


def upgrade() -> None:
    from registry.services.outcomes import facts  # the rules this revision brought

    facts.refresh(op.get_bind(), CHANGED_TYPES)


def downgrade() -> None:
    op.execute("DELETE FROM outcome_fact WHERE kind IN ('consultation', 'answer', 'member')")
