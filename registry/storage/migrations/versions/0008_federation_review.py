"""federation review: token scopes, dropped duplicates, identifier keys

Revision ID: 0008_federation_review
Revises: 0007_federation
Create Date: 2026-12-06 08:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_federation_review'
down_revision: str | None = '0007_federation'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
SEPARATORS = " -./_:"  # registry.storage.tables.IDENTIFIER_SEPARATORS when this was written


def _identifier_key() -> sa.ColumnElement[str]:
    folded: sa.ColumnElement[str] = sa.column('code')
    for separator in SEPARATORS:
        folded = sa.func.replace(folded, separator, '')
    return sa.func.lower(folded)


def upgrade() -> None:
    with op.batch_alter_table('access_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scopes', sa.Text(), nullable=True))
    op.create_table('dropped_duplicate',
    sa.Column('resource_pk', BigId, nullable=False),
    sa.Column('kept_pk', BigId, nullable=False),
    sa.Column('pair', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['kept_pk'], ['resource.pk'],
                            name=op.f('fk_dropped_duplicate_kept_pk')),
    sa.ForeignKeyConstraint(['resource_pk'], ['resource.pk'],
                            name=op.f('fk_dropped_duplicate_resource_pk')),
    sa.PrimaryKeyConstraint('resource_pk', name=op.f('pk_dropped_duplicate')),
    )
    with op.batch_alter_table('dropped_duplicate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dropped_duplicate_kept_pk'), ['kept_pk'],
                              unique=False)
    op.create_index('ix_idx_token_identifier_key', 'idx_token',
                    [sa.column('res_type'), _identifier_key()],
                    sqlite_where=sa.text("param = 'identifier'"),
                    postgresql_where=sa.text("param = 'identifier'"))


def downgrade() -> None:
    op.drop_index('ix_idx_token_identifier_key', table_name='idx_token')
    with op.batch_alter_table('dropped_duplicate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dropped_duplicate_kept_pk'))
    op.drop_table('dropped_duplicate')
    with op.batch_alter_table('access_token', schema=None) as batch_op:
        batch_op.drop_column('scopes')
