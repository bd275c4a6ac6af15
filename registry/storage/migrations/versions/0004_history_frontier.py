"""concurrent writers with exact history cursors

Revision ID: 0004_history_frontier
Revises: 0003_rate_counter
Create Date: 2026-12-05 23:00:00

Writers no longer take one global lock. On PostgreSQL each write transaction takes its
version time from ``registry_write_stamp()``: strictly increasing across transactions, and
registered (a shared transaction-scoped advisory lock keyed by the stamp) until it commits or
rolls back, so ``registry_history_frontier()`` can tell history readers below which time every
version is final (see ``registry.storage.history``); a transaction's own writes count as final
to itself. History pages are ordered by
(last_updated, seq), hence the new indexes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004_history_frontier'
down_revision: str | None = '0003_rate_counter'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GATE = 7330001  # the session advisory lock that makes taking a stamp and registering it atomic
STAMP_FLOOR = 1000000000000000  # stamps are microseconds since 1970: far above any other key

WRITE_STAMP = f"""
CREATE OR REPLACE FUNCTION registry_write_stamp() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    stamp bigint;
BEGIN
    PERFORM pg_advisory_lock({GATE});
    BEGIN
        stamp := greatest((extract(epoch from clock_timestamp()) * 1000000)::bigint,
                          (SELECT last_value FROM registry_stamp) + 1);
        PERFORM setval('registry_stamp', stamp);
        PERFORM pg_advisory_xact_lock_shared(stamp);
    EXCEPTION WHEN OTHERS THEN
        PERFORM pg_advisory_unlock({GATE});
        RAISE;
    END;
    PERFORM pg_advisory_unlock({GATE});
    RETURN stamp;
END $$;
"""

FRONTIER = f"""
CREATE OR REPLACE FUNCTION registry_history_frontier() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    oldest bigint;
    last bigint;
BEGIN
    PERFORM pg_advisory_lock({GATE});
    BEGIN
        SELECT min((l.classid::bigint << 32) | l.objid::bigint) INTO oldest
          FROM pg_locks l
         WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
           AND l.pid <> pg_backend_pid()  -- its own writes are visible to a transaction
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND ((l.classid::bigint << 32) | l.objid::bigint) >= {STAMP_FLOOR};
        SELECT last_value INTO last FROM registry_stamp;
    EXCEPTION WHEN OTHERS THEN
        PERFORM pg_advisory_unlock({GATE});
        RAISE;
    END;
    PERFORM pg_advisory_unlock({GATE});
    RETURN coalesce(oldest, last + 1);
END $$;
"""


def upgrade() -> None:
    with op.batch_alter_table('resource_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_version_last_updated_seq'),
                              ['last_updated', 'seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_resource_version_res_type_last_updated_seq'),
                              ['res_type', 'last_updated', 'seq'], unique=False)
    if op.get_bind().dialect.name != 'postgresql':
        return
    start = op.get_bind().execute(sa.text(
        "SELECT coalesce(max(last_updated), 1) FROM resource_version")).scalar()
    op.execute(f"CREATE SEQUENCE registry_stamp MINVALUE 1 START {int(start)}")
    op.execute(f"SELECT setval('registry_stamp', {int(start)})")
    op.execute(WRITE_STAMP)
    op.execute(FRONTIER)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS registry_history_frontier()")
        op.execute("DROP FUNCTION IF EXISTS registry_write_stamp()")
        op.execute("DROP SEQUENCE IF EXISTS registry_stamp")
    with op.batch_alter_table('resource_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_version_res_type_last_updated_seq'))
        batch_op.drop_index(batch_op.f('ix_resource_version_last_updated_seq'))
