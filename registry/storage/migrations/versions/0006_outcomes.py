"""outcome facts kept on write for the aggregate indicators

Revision ID: 0006_outcomes
Revises: 0004_history_frontier
Create Date: 2026-12-06 02:30:00

Existing resources get their facts with ``registry measures refresh-facts`` (a one-off pass
after upgrading a database that already holds sessions, cases or roles).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006_outcomes'
down_revision: str | None = '0004_history_frontier'
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


def downgrade() -> None:
    op.drop_table('outcome_fact')
