"""Configuration in one place: typed defaults, then ``REGISTRY_*`` environment, then overrides.

Nothing else in the project reads ``os.environ``. Values are validated at start-up so a bad
setting fails with one clear line instead of a stack trace at the first request.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'instance' / 'registry.db'}"


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # The public FHIR base (links, Location, fullUrl); empty: taken from each request (the
    # scheme and host trusted proxies forward).
    base_url: str = ""
    max_body_bytes: int = 10 * 1024 * 1024
    max_bundle_entries: int = 10_000
    # Longest array a request body may hold (Bundle.entry: max_bundle_entries).
    max_array_items: int = 10_000
    default_count: int = 50
    max_count: int = 1_000
    database_pool_size: int = 10
    sqlite_busy_timeout_ms: int = 30_000
    token_days: int = 365
    node_secret: str = ""
    # The node's signing key for SMART client assertions (a PEM file); empty: node-key.pem in
    # the instance folder, created on first use with mode 0600.
    node_key: str = ""
    # Seconds a peer may take to connect, and to answer each read, during a sync.
    sync_connect_timeout_seconds: int = 5
    sync_read_timeout_seconds: int = 30
    # Where bulk export files are written (default: <instance>/exports).
    export_dir: str = ""
    log_level: str = "INFO"
    # Abuse limits (see README, "Security"). A statement running longer than
    # statement_timeout_ms is cancelled (PostgreSQL statement_timeout, SQLite progress
    # handler); 0 turns that off. gunicorn restarts a worker silent for request_timeout_seconds.
    statement_timeout_ms: int = 30_000
    database_connect_timeout_seconds: int = 5
    idle_in_transaction_timeout_ms: int = 60_000
    request_timeout_seconds: int = 60
    # Per-token (or per-address when anonymous) limit, in the `limits` notation, e.g.
    # "600 per minute;20 per second"; counted in the database; empty turns it off.
    rate_limit: str = "600 per minute"
    # Comma-separated origins allowed to call the API from a browser; empty = CORS off.
    cors_origins: str = ""
    # Reverse proxies in front of the registry whose X-Forwarded-For/-Proto are believed
    # (audit "from where" and per-address limits); 0 = none, use the socket's address.
    trusted_proxies: int = 0
    # Key that signs dashboard session cookies; empty: derived from the node secret.
    session_key: str = ""
    # Hours a dashboard sign-in lasts (the token's own expiry and revocation end it sooner).
    session_hours: int = 8
    # Aggregate outcomes: counts from 1 to disclosure_threshold - 1 are masked on release;
    # aggregators are the peer names (comma-separated) that may receive exact figures;
    # dhis2_mapping is the JSON file mapping indicators and strata to DHIS2 identifiers.
    disclosure_threshold: int = 11
    aggregators: str = ""
    dhis2_mapping: str = ""

    def validate(self) -> Settings:
        if "://" not in self.database_url:
            raise ConfigError(f"REGISTRY_DATABASE_URL is not a database URL: {self.database_url!r}")
        if self.base_url and not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"REGISTRY_BASE_URL must start with http:// or https://: "
                              f"{self.base_url!r}")
        for name in ("max_body_bytes", "max_bundle_entries", "max_array_items", "default_count",
                     "max_count"):
            if getattr(self, name) < 1:
                raise ConfigError(f"REGISTRY_{name.upper()} must be a positive integer")
        if self.default_count > self.max_count:
            raise ConfigError("REGISTRY_DEFAULT_COUNT must not exceed REGISTRY_MAX_COUNT")
        if self.session_hours < 1:
            raise ConfigError("REGISTRY_SESSION_HOURS must be a positive integer")
        if self.trusted_proxies < 0:
            raise ConfigError("REGISTRY_TRUSTED_PROXIES must be 0 or more")
        if self.statement_timeout_ms < 0 or self.request_timeout_seconds < 1:
            raise ConfigError("REGISTRY_STATEMENT_TIMEOUT_MS must be >= 0 and "
                              "REGISTRY_REQUEST_TIMEOUT_SECONDS >= 1")
        if self.database_connect_timeout_seconds < 1 or self.idle_in_transaction_timeout_ms < 1:
            raise ConfigError("REGISTRY_DATABASE_CONNECT_TIMEOUT_SECONDS and "
                              "REGISTRY_IDLE_IN_TRANSACTION_TIMEOUT_MS must be positive")
        if self.disclosure_threshold < 2:
            raise ConfigError("REGISTRY_DISCLOSURE_THRESHOLD must be 2 or more")
        if self.dhis2_mapping and not Path(self.dhis2_mapping).is_file():
            raise ConfigError(f"REGISTRY_DHIS2_MAPPING is not a file: {self.dhis2_mapping!r}")
        if self.rate_limit and not _valid_rate_limit(self.rate_limit):
            raise ConfigError(f"REGISTRY_RATE_LIMIT is not a rate limit like '600 per minute': "
                              f"{self.rate_limit!r}")
        return replace(self, base_url=self.base_url.rstrip("/"))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def aggregator_names(self) -> frozenset[str]:
        return frozenset(n.strip() for n in self.aggregators.split(",") if n.strip())

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


def _valid_rate_limit(text: str) -> bool:
    from limits import parse_many

    try:
        return bool(parse_many(text))
    except ValueError:
        return False


def _coerce(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"REGISTRY_{name.upper()} must be an integer, got {raw!r}") from None
    return raw


def load_settings(overrides: dict[str, Any] | None = None,
                  environ: dict[str, str] | None = None) -> Settings:
    """Defaults, then REGISTRY_* variables, then explicit overrides (tests, CLI)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = env.get(f"REGISTRY_{f.name.upper()}")
        if raw is not None and raw != "":
            values[f.name] = _coerce(f.name, raw, f.default)
    values.update(overrides or {})
    return Settings(**values).validate()
