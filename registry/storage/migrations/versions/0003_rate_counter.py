"""request counters in the database (rate limits, failed sign-ins)

Revision ID: 0003_rate_counter
Revises: 0002_security
Create Date: 2026-12-05 20:00:00

On PostgreSQL the table is UNLOGGED: counters need no crash safety, and a hit then costs no
WAL flush. (A crash empties it, which only resets the current windows.)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003_rate_counter'
down_revision: str | None = '0002_security'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    prefixes = ['UNLOGGED'] if op.get_bind().dialect.name == 'postgresql' else []
    op.create_table('rate_counter',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('window_end', sa.BigInteger(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_counter')),
    prefixes=prefixes,
    )
    with op.batch_alter_table('rate_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_counter_window_end'), ['window_end'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rate_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_counter_window_end'))
    op.drop_table('rate_counter')
