"""outcome facts kept on write for the aggregate indicators

Revision ID: 0006_outcomes
Revises: 0005_evaluations
Create Date: 2026-12-06 02:30:00

Existing resources get their facts with ``registry measures refresh-facts`` (a one-off pass
after upgrading a database that already holds sessions, cases or roles).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006_outcomes'
down_revision: str | None = '0005_evaluations'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _c_string(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table('outcome_fact',
    sa.Column('resource_pk', BigId, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('item', _c_string(255), nullable=False),
    sa.Column('link', _c_string(255), nullable=True),
    sa.Column('link2', _c_string(255), nullable=True),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('at', sa.BigInteger(), nullable=True),
    sa.Column('day', sa.String(length=10), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['resource_pk'], ['resource.pk'],
                            name=op.f('fk_outcome_fact_resource_pk')),
    )
    with op.batch_alter_table('outcome_fact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_fact_kind_day'), ['kind', 'day'])
        batch_op.create_index(batch_op.f('ix_outcome_fact_kind_item'), ['kind', 'item'])
        batch_op.create_index(batch_op.f('ix_outcome_fact_kind_link'), ['kind', 'link'])
        batch_op.create_index(batch_op.f('ix_outcome_fact_resource_pk'), ['resource_pk'])

    op.create_table('outcome_report',
    sa.Column('pk', BigId, autoincrement=True, nullable=False),
    sa.Column('measure', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('evaluated', sa.BigInteger(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_outcome_report')),
    sa.UniqueConstraint('measure', 'subject', 'period',
                        name=op.f('uq_outcome_report_measure_subject_period')),
    )
    with op.batch_alter_table('outcome_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_report_period_subject'),
                              ['period', 'subject'])
    op.create_table('outcome_release',
    sa.Column('pk', BigId, autoincrement=True, nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('audience', sa.String(length=200), nullable=False),
    sa.Column('exact', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('released_at', sa.BigInteger(), nullable=False),
    sa.Column('record', sa.Text(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_outcome_release')),
    sa.UniqueConstraint('period', 'subject', 'audience', 'version',
                        name=op.f('uq_outcome_release_period_subject_audience_version')),
    )


def downgrade() -> None:
    op.drop_table('outcome_release')
    op.drop_table('outcome_report')
    op.drop_table('outcome_fact')
