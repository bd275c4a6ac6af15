"""The relational shape of the resource store (SQLAlchemy Core).

``resource`` holds the current version of every resource (tombstones included),
``resource_version`` every version ever written, ordered by ``seq``: the server-issued,
gap-free-in-commit-order sequence that history paging and federation cursors use.
The ``idx_*`` tables hold search-index rows of current versions, replaced on every write
in the same transaction, so a search never parses resource JSON.

Times are integer microseconds since the Unix epoch (UTC) so that comparisons are exact and
identical on SQLite and PostgreSQL. Strings compared by prefix use the "C" collation on
PostgreSQL so that range predicates match byte order.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Text = sa.Text()
Key = sa.String(64)


def _c_string(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


resource = sa.Table(
    "resource", metadata,
    sa.Column("pk", BigId, primary_key=True, autoincrement=True),
    sa.Column("res_type", Key, nullable=False),
    sa.Column("res_id", Key, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("last_updated", sa.BigInteger, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
    sa.Column("content", Text, nullable=True),
    sa.UniqueConstraint("res_type", "res_id"),
    sa.Index(None, "res_type", "last_updated"),
)

resource_version = sa.Table(
    "resource_version", metadata,
    sa.Column("seq", BigId, primary_key=True, autoincrement=True),
    sa.Column("resource_pk", BigId, sa.ForeignKey("resource.pk"), nullable=False),
    sa.Column("res_type", Key, nullable=False),
    sa.Column("res_id", Key, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("last_updated", sa.BigInteger, nullable=False),
    sa.Column("method", sa.String(8), nullable=False),
    sa.Column("content", Text, nullable=True),
    # What a caller who sees only published records (a peer) sees of this version: 0 nothing,
    # 1 the version, 2 a withdrawal (it was published before this write and is not after it,
    # or it was deleted): shown to such a caller as a deletion (``registry.storage.history``).
    sa.Column("peer_view", sa.SmallInteger, nullable=False, server_default="0"),
    sa.UniqueConstraint("res_type", "res_id", "version"),
    sa.Index(None, "res_type", "seq"),
    sa.Index(None, "last_updated"),
    sa.Index(None, "last_updated", "seq"),  # history pages, in (time, seq) order
    sa.Index(None, "res_type", "last_updated", "seq"),
)


def _index_table(name: str, *columns: sa.Column[object], value_index: tuple[str, ...]) -> sa.Table:
    """A search-index table: which current resource holds which value for which parameter."""
    return sa.Table(
        name, metadata,
        sa.Column("resource_pk", BigId, sa.ForeignKey("resource.pk"), nullable=False),
        sa.Column("res_type", Key, nullable=False),
        sa.Column("param", Key, nullable=False),
        *columns,
        sa.Index(None, "res_type", "param", *value_index, "resource_pk"),
        sa.Index(None, "resource_pk"),
    )


idx_string = _index_table(
    "idx_string",
    sa.Column("value", _c_string(255), nullable=False),  # case- and accent-folded
    sa.Column("exact", sa.String(255), nullable=False),
    value_index=("value",),
)
idx_token = _index_table(
    "idx_token",
    sa.Column("system", _c_string(255), nullable=True),
    sa.Column("code", _c_string(255), nullable=True),
    sa.Column("text", _c_string(255), nullable=True),  # folded display text for :text
    value_index=("code", "system"),
)
idx_reference = _index_table(
    "idx_reference",
    sa.Column("target_type", Key, nullable=True),
    sa.Column("target_id", _c_string(255), nullable=True),
    sa.Column("url", _c_string(255), nullable=True),  # absolute or canonical references
    value_index=("target_id", "target_type"),
)
idx_date = _index_table(
    "idx_date",
    sa.Column("low", sa.BigInteger, nullable=False),
    sa.Column("high", sa.BigInteger, nullable=False),
    value_index=("low", "high"),
)
idx_number = _index_table(
    "idx_number",
    sa.Column("low", sa.Float, nullable=False),
    sa.Column("high", sa.Float, nullable=False),
    value_index=("low", "high"),
)
idx_quantity = _index_table(
    "idx_quantity",
    sa.Column("system", _c_string(255), nullable=True),
    sa.Column("code", _c_string(255), nullable=True),
    sa.Column("low", sa.Float, nullable=False),
    sa.Column("high", sa.Float, nullable=False),
    value_index=("code", "low"),
)
idx_uri = _index_table(
    "idx_uri",
    sa.Column("value", _c_string(255), nullable=False),
    value_index=("value",),
)
idx_position = _index_table(
    "idx_position",
    sa.Column("latitude", sa.Float, nullable=False),
    sa.Column("longitude", sa.Float, nullable=False),
    value_index=("latitude", "longitude"),
)

INDEX_TABLES: dict[str, sa.Table] = {
    "string": idx_string,
    "token": idx_token,
    "reference": idx_reference,
    "date": idx_date,
    "number": idx_number,
    "quantity": idx_quantity,
    "uri": idx_uri,
    "position": idx_position,
}

access_token = sa.Table(
    "access_token", metadata,
    sa.Column("pk", BigId, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(40), nullable=False),
    sa.Column("binding", sa.String(200), nullable=True),  # Organization/ID or country code
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("expires", sa.BigInteger, nullable=True),
    sa.Column("revoked", sa.BigInteger, nullable=True),
)

# The security compartment of every resource: the hub, spoke and country that own it and whether
# its hub published it. Derived from the resource on every write (``registry.services.compartment``)
# in the same transaction, so the policy can hide resources inside SQL: totals, paging, chaining,
# includes and history never see a row the caller may not see. A deletion keeps the last row, so a
# tombstone stays in its owner's compartment.
resource_compartment = sa.Table(
    "resource_compartment", metadata,
    sa.Column("resource_pk", BigId, sa.ForeignKey("resource.pk"), primary_key=True),
    sa.Column("hub", Key, nullable=True),  # Organization id of the owning hub
    sa.Column("spoke", Key, nullable=True),  # Organization id of the owning spoke
    sa.Column("country", sa.String(2), nullable=True),  # ISO 3166-1 alpha-2
    sa.Column("published", sa.Boolean, nullable=False, default=False),
    sa.Index(None, "hub", "resource_pk"),
    sa.Index(None, "spoke", "resource_pk"),
    sa.Index(None, "country", "resource_pk"),
    sa.Index(None, "published", "resource_pk"),
)

# Fixed-window request counters (``registry.storage.counters``): rate limits per token or
# address, failed sign-ins per address. One row per key; a new window overwrites the old.
rate_counter = sa.Table(
    "rate_counter", metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("window_end", sa.BigInteger, nullable=False),  # seconds since the epoch
    sa.Column("hits", sa.Integer, nullable=False),
    sa.Index(None, "window_end"),
)

# Federation (``registry.storage.federation``). Pullers this node trusts (SMART Backend
# Services clients and their registered public JWKS), the assertion ids they used (replays are
# refused across workers and restarts until the assertion expires), the peers this node pulls
# from with their cursor (the peer's own high-water mark) and status, and the sync errors of
# each peer (per stage and per object).
federation_client = sa.Table(
    "federation_client", metadata,
    sa.Column("pk", BigId, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("client_id", sa.String(100), nullable=False, unique=True),
    sa.Column("jwks", Text, nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),
)

assertion_jti = sa.Table(
    "assertion_jti", metadata,
    sa.Column("client_id", sa.String(100), primary_key=True),
    sa.Column("jti", sa.String(200), primary_key=True),
    sa.Column("expires", sa.BigInteger, nullable=False),  # seconds since the epoch
    sa.Index(None, "expires"),
)

federation_peer = sa.Table(
    "federation_peer", metadata,
    sa.Column("pk", BigId, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("base", sa.String(500), nullable=False),
    sa.Column("client_id", sa.String(100), nullable=True),  # SMART Backend Services
    sa.Column("token", Text, nullable=True),  # or a static bearer token the peer issued
    sa.Column("cursor", sa.String(40), nullable=True),  # the peer's high-water mark
    sa.Column("last_success", sa.BigInteger, nullable=True),
    sa.Column("last_error", Text, nullable=True),
    sa.Column("created", sa.BigInteger, nullable=False),
)

sync_error = sa.Table(
    "sync_error", metadata,
    sa.Column("pk", BigId, primary_key=True, autoincrement=True),
    sa.Column("peer", sa.String(100), nullable=False),
    sa.Column("stage", sa.String(20), nullable=False),  # gather, fetch or import
    sa.Column("remote", sa.String(500), nullable=True),  # the remote record, when one
    sa.Column("reason", Text, nullable=False),
    sa.Column("at", sa.BigInteger, nullable=False),
    sa.Index(None, "peer", "pk"),
)
