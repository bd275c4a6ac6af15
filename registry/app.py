"""The application factory: nothing is configured at import time."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from registry import http, logs
from registry.config import PROJECT_ROOT, Settings, load_settings
from registry.services.access import AuthorizeStep
from registry.services.cases.transform import CaseTransform
from registry.services.evaluations.step import ScoringStep
from registry.services.federation.keys import default_key_path
from registry.services.federation.readonly import MirrorGuard
from registry.services.federation.review import ResolutionStep
from registry.services.node import Node
from registry.services.search.parameters import default_registry
from registry.services.secret import NodeSecret
from registry.services.write_rules import default_write_rules
from registry.services.writes.audit import AuditStep
from registry.services.writes.prepare import PrepareStep
from registry.storage.database import Database, create_engine


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the registry application from settings (environment, then ``overrides``)."""
    settings = load_settings(overrides)
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    app.config["REGISTRY"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    logging.basicConfig(level=settings.log_level)
    logs.install_redaction()
    app.extensions["registry.node"] = build_node(settings, Path(app.instance_path))
    app.extensions["registry.database"] = Database(create_engine(
        settings.database_url, pool_size=settings.database_pool_size,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        statement_timeout_ms=settings.statement_timeout_ms,
        connect_timeout_s=settings.database_connect_timeout_seconds,
        idle_in_transaction_timeout_ms=settings.idle_in_transaction_timeout_ms))
    http.init_app(app)
    return app


def build_node(settings: Settings, instance: Path) -> Node:
    """The node and the components of its write pipeline, in the order they run."""
    return Node(
        search_parameters=default_registry(),
        secret=NodeSecret(settings.node_secret, instance / "node-secret"),
        write_steps=(PrepareStep(), MirrorGuard(), AuthorizeStep(), CaseTransform(),
                     ScoringStep(), ResolutionStep(), AuditStep()),
        write_rules=default_write_rules(),
        base_url=settings.base_url or None,
        key_path=Path(settings.node_key) if settings.node_key else default_key_path(instance),
        default_count=settings.default_count,
        max_count=settings.max_count,
        max_bundle_entries=settings.max_bundle_entries,
        max_array_items=settings.max_array_items,
        disclosure_threshold=settings.disclosure_threshold,
        aggregators=settings.aggregator_names,
    )
