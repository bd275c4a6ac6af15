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
# Business identifiers compared across nodes (``registry.services.federation.duplicates``):
# lower-cased, without the separators hubs write differently ("HUB-1", "hub 1", "HUB.1").
IDENTIFIER_SEPARATORS = " -./_:"


def identifier_key_sql(code: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    """The identifier key of a token's code, in SQL (what ``identifier_key`` computes)."""
    folded: sa.ColumnElement[str] = code
    for separator in IDENTIFIER_SEPARATORS:
        folded = sa.func.replace(folded, separator, "")
    return sa.func.lower(folded)


def identifier_key(value: str) -> str:
    """``identifier_key_sql`` in Python: separators out, ASCII letters lower-cased (as the
    databases' ``lower`` does under the "C" collation)."""
    kept = "".join(c for c in value if c not in IDENTIFIER_SEPARATORS)
    return "".join(c.lower() if c.isascii() else c for c in kept)


# Finds records by identifier key without reading every identifier of a type.
EXPRESSION_INDEXES = frozenset({"ix_idx_token_identifier_key"})
sa.Index("ix_idx_token_identifier_key", idx_token.c.res_type,
         identifier_key_sql(idx_token.c.code),
         sqlite_where=idx_token.c.param == "identifier",
         postgresql_where=idx_token.c.param == "identifier")

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
    # SMART system scopes granted at the token endpoint, space-separated; NULL: the role's
    # whole reach (tokens made with ``registry token create``)
    sa.Column("scopes", sa.Text, nullable=True),
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

# Evaluation facts (``registry.services.evaluations``): one row per scored QuestionnaireResponse
# and one per scored item, kept on write by the scoring step in the same transaction, so the
# analysis and the outcome measures never parse response JSON. ``mentee`` is the id of the
# mentee's PractitionerRole (the pairing key); hub and country come from the compartment.
evaluation_score = sa.Table(
    "evaluation_score", metadata,
    sa.Column("response_id", Key, primary_key=True),  # QuestionnaireResponse id
    sa.Column("instrument", sa.String(255), nullable=False),  # Questionnaire canonical url
    sa.Column("kind", sa.String(20), nullable=False),  # knowledge, self-efficacy, ...
    sa.Column("program", sa.String(200), nullable=True),  # "HealthcareService/ID"
    sa.Column("cohort", sa.String(200), nullable=True),  # "Group/ID"
    sa.Column("mentee", Key, nullable=False),  # PractitionerRole id
    sa.Column("phase", sa.String(8), nullable=False),  # pre or post
    sa.Column("authored", sa.Date, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("answered", sa.Integer, nullable=False),  # items answered
    sa.Index(None, "program", "instrument", "phase"),
    sa.Index(None, "authored"),
)
evaluation_item = sa.Table(
    "evaluation_item", metadata,
    sa.Column("response_id", Key, primary_key=True),
    sa.Column("link_id", sa.String(100), primary_key=True),
    sa.Column("score", sa.Float, nullable=False),  # 1/0 for keyed items, scale points else
)

# Personal survey links (``registry.services.evaluations.links``): only the SHA-256 of the
# token is kept; ``used`` is set when the form is submitted, so a link serves once.
survey_link = sa.Table(
    "survey_link", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("program", sa.String(200), nullable=False),
    sa.Column("cohort", sa.String(200), nullable=False),
    sa.Column("phase", sa.String(8), nullable=False),
    sa.Column("mentee", Key, nullable=False),
    sa.Column("instruments", sa.Text, nullable=False),  # canonical urls, space-separated
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("expires", sa.BigInteger, nullable=False),  # seconds since the epoch
    sa.Column("used", sa.BigInteger, nullable=True),
    sa.UniqueConstraint("program", "cohort", "phase", "mentee"),
)

# Outcome facts (``registry.storage.outcomes``): the few fields of a current resource that the
# aggregate indicators count, derived on every write in the same transaction (like index rows),
# so indicators are joins over this table and never parse resource JSON. One row per fact;
# what ``link``, ``link2``, ``code`` and ``value`` hold depends on ``kind`` (see
# ``registry.services.outcomes.facts``).
outcome_fact = sa.Table(
    "outcome_fact", metadata,
    sa.Column("resource_pk", BigId, sa.ForeignKey("resource.pk"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("item", _c_string(255), nullable=False),  # "Type/id" the fact is about
    sa.Column("link", _c_string(255), nullable=True),  # the main reference it points to
    sa.Column("link2", _c_string(255), nullable=True),  # a second reference or a class
    sa.Column("code", sa.String(64), nullable=True),
    sa.Column("country", sa.String(2), nullable=True),
    sa.Column("at", sa.BigInteger, nullable=True),  # microseconds since the epoch, UTC
    sa.Column("day", sa.String(10), nullable=True),  # the UTC date of ``at``, YYYY-MM-DD
    sa.Column("value", sa.Float, nullable=True),
    sa.Index(None, "kind", "day"),
    sa.Index(None, "kind", "item"),
    sa.Index(None, "kind", "link"),
    sa.Index(None, "resource_pk"),
)

# Evaluated reports (``registry.storage.outcomes``): the exact MeasureReport of one indicator,
# subject and period, as last evaluated. Exact figures never become resources (a FHIR read
# would show them to every outcome reader); what is released publicly is written as
# MeasureReport resources, what goes to the aggregator stays here and in the ledger.
outcome_report = sa.Table(
    "outcome_report", metadata,
    sa.Column("pk", BigId, primary_key=True, autoincrement=True),
    sa.Column("measure", sa.String(255), nullable=False),  # canonical URL, no version
    sa.Column("subject", sa.String(255), nullable=False),  # "Organization/ID" or "network"
    sa.Column("period", sa.String(16), nullable=False),  # YYYY, YYYY-Qn or YYYY-MM
    sa.Column("status", sa.String(16), nullable=False),  # pending | complete
    sa.Column("evaluated", sa.BigInteger, nullable=False),
    sa.Column("content", Text, nullable=False),  # the exact MeasureReport JSON
    sa.UniqueConstraint("measure", "subject", "period"),
    sa.Index(None, "period", "subject"),
)

# The release ledger (``registry.services.outcomes.ledger``): one row per release.
outcome_release = sa.Table(
    "outcome_release", metadata,
    sa.Column("pk", BigId, primary_key=True, autoincrement=True),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("subject", sa.String(255), nullable=False),
    sa.Column("audience", sa.String(200), nullable=False),  # "public" or the aggregator's name
    sa.Column("exact", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("released_at", sa.BigInteger, nullable=False),
    sa.Column("record", Text, nullable=False),  # the ReleaseRecord as JSON
    sa.Column("content", Text, nullable=False),  # the reports exactly as released (JSON list)
    sa.UniqueConstraint("period", "subject", "audience", "version"),
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

# Duplicates resolved on this node (``registry.services.federation.review``): the dropped copy
# of a pair is hidden from searches while the copy kept is live (a deleted kept copy lets the
# dropped one show again). Mirrors are never edited: hiding is this table, not a write.
dropped_duplicate = sa.Table(
    "dropped_duplicate", metadata,
    sa.Column("resource_pk", BigId, sa.ForeignKey("resource.pk"), primary_key=True),
    sa.Column("kept_pk", BigId, sa.ForeignKey("resource.pk"), nullable=False),
    sa.Column("pair", Key, nullable=False),  # the review Task's id
    sa.Index(None, "kept_pk"),
)
