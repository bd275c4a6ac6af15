"""evaluation facts and personal survey links

Revision ID: 0005_evaluations
Revises: 0004_history_frontier
Create Date: 2026-12-06 02:10:00

Scores of QuestionnaireResponses per response and per item, kept on write so analyses never
parse response JSON; personal survey links stored as SHA-256 hashes with expiry and use.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005_evaluations'
down_revision: str | None = '0004_history_frontier'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_score",
        sa.Column("response_id", sa.String(64), nullable=False),
        sa.Column("instrument", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("program", sa.String(200), nullable=True),
        sa.Column("cohort", sa.String(200), nullable=True),
        sa.Column("mentee", sa.String(64), nullable=False),
        sa.Column("phase", sa.String(8), nullable=False),
        sa.Column("authored", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("response_id", name="pk_evaluation_score"),
    )
    op.create_index("ix_evaluation_score_program_instrument_phase", "evaluation_score",
                    ["program", "instrument", "phase"])
    op.create_index("ix_evaluation_score_authored", "evaluation_score", ["authored"])
    op.create_table(
        "evaluation_item",
        sa.Column("response_id", sa.String(64), nullable=False),
        sa.Column("link_id", sa.String(100), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("response_id", "link_id", name="pk_evaluation_item"),
    )
    op.create_table(
        "survey_link",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("program", sa.String(200), nullable=False),
        sa.Column("cohort", sa.String(200), nullable=False),
        sa.Column("phase", sa.String(8), nullable=False),
        sa.Column("mentee", sa.String(64), nullable=False),
        sa.Column("instruments", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("expires", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_survey_link"),
        sa.UniqueConstraint("program", "cohort", "phase", "mentee",
                            name="uq_survey_link_program_cohort_phase_mentee"),
    )


def downgrade() -> None:
    op.drop_table("survey_link")
    op.drop_table("evaluation_item")
    op.drop_index("ix_evaluation_score_authored", table_name="evaluation_score")
    op.drop_index("ix_evaluation_score_program_instrument_phase", table_name="evaluation_score")
    op.drop_table("evaluation_score")
