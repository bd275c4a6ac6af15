"""federation: trusted pullers, assertion replay ids, peers and their sync errors

Revision ID: 0007_federation
Revises: 0006_outcomes
Create Date: 2026-12-06 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007_federation'
down_revision: str | None = '0006_outcomes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('resource_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('peer_view', sa.SmallInteger(), server_default='0',
                                      nullable=False))
    # Versions stored before: what a peer saw of them is judged by the current compartment
    # (the only record kept of it), as history did until now.
    op.execute("UPDATE resource_version SET peer_view = CASE WHEN method = 'DELETE' THEN 2 "
               "ELSE 1 END WHERE resource_pk IN (SELECT resource_pk FROM resource_compartment "
               "WHERE published)")
    op.create_table('federation_client',
    sa.Column('pk', BigId, autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('client_id', sa.String(length=100), nullable=False),
    sa.Column('jwks', sa.Text(), nullable=False),
    sa.Column('created', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_federation_client')),
    sa.UniqueConstraint('client_id', name=op.f('uq_federation_client_client_id')),
    sa.UniqueConstraint('name', name=op.f('uq_federation_client_name')),
    )
    op.create_table('assertion_jti',
    sa.Column('client_id', sa.String(length=100), nullable=False),
    sa.Column('jti', sa.String(length=200), nullable=False),
    sa.Column('expires', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('client_id', 'jti', name=op.f('pk_assertion_jti')),
    )
    with op.batch_alter_table('assertion_jti', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assertion_jti_expires'), ['expires'], unique=False)
    op.create_table('federation_peer',
    sa.Column('pk', BigId, autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('base', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=100), nullable=True),
    sa.Column('token', sa.Text(), nullable=True),
    sa.Column('cursor', sa.String(length=40), nullable=True),
    sa.Column('last_success', sa.BigInteger(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_federation_peer')),
    sa.UniqueConstraint('name', name=op.f('uq_federation_peer_name')),
    )
    op.create_table('sync_error',
    sa.Column('pk', BigId, autoincrement=True, nullable=False),
    sa.Column('peer', sa.String(length=100), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('remote', sa.String(length=500), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_sync_error')),
    )
    with op.batch_alter_table('sync_error', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_error_peer_pk'), ['peer', 'pk'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sync_error', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_error_peer_pk'))
    op.drop_table('sync_error')
    op.drop_table('federation_peer')
    with op.batch_alter_table('assertion_jti', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assertion_jti_expires'))
    op.drop_table('assertion_jti')
    op.drop_table('federation_client')
    with op.batch_alter_table('resource_version', schema=None) as batch_op:
        batch_op.drop_column('peer_view')
