"""security compartment of every resource

Revision ID: 0002_security
Revises: 0001
Create Date: 2026-11-23 13:30:00

A populated database upgraded to this revision has no compartment rows yet: every resource is
then visible to network-admin only (deny by default) until ``registry security rebuild`` has
derived them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002_security'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('resource_compartment',
    sa.Column('resource_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hub', sa.String(length=64), nullable=True),
    sa.Column('spoke', sa.String(length=64), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['resource_pk'], ['resource.pk'], name=op.f('fk_resource_compartment_resource_pk')),
    sa.PrimaryKeyConstraint('resource_pk', name=op.f('pk_resource_compartment'))
    )
    with op.batch_alter_table('resource_compartment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_compartment_country_resource_pk'), ['country', 'resource_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_resource_compartment_hub_resource_pk'), ['hub', 'resource_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_resource_compartment_published_resource_pk'), ['published', 'resource_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_resource_compartment_spoke_resource_pk'), ['spoke', 'resource_pk'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('resource_compartment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_compartment_spoke_resource_pk'))
        batch_op.drop_index(batch_op.f('ix_resource_compartment_published_resource_pk'))
        batch_op.drop_index(batch_op.f('ix_resource_compartment_hub_resource_pk'))
        batch_op.drop_index(batch_op.f('ix_resource_compartment_country_resource_pk'))
    op.drop_table('resource_compartment')
