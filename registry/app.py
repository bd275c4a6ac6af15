"""The application factory: nothing is configured at import time."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from registry import api, db
from registry.config import PROJECT_ROOT, Settings, load_settings
from registry.services.context import Node
from registry.services.search.parameters import default_registry
from registry.services.write_rules import default_write_rules


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the registry application from settings (environment, then ``overrides``)."""
    settings = load_settings(overrides)
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    app.config["REGISTRY"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["JSON_SORT_KEYS"] = False
    app.extensions["registry.node"] = build_node(settings)
    logging.basicConfig(level=settings.log_level)
    db.init_app(app)
    api.init_app(app)
    from registry import cli

    cli.init_app(app)
    return app


def build_node(settings: Settings) -> Node:
    return Node(
        base_url=settings.base_url,
        search_parameters=default_registry(),
        write_rules=default_write_rules(),
        default_count=settings.default_count,
        max_count=settings.max_count,
        max_bundle_entries=settings.max_bundle_entries,
    )
