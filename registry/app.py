"""The application factory: nothing is configured at import time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from typing import Any
from weakref import WeakKeyDictionary

from flask import Flask

from registry import api, db
from registry.config import PROJECT_ROOT, Settings, load_settings
from registry.services.context import Node
from registry.services.search.parameters import default_registry
from registry.services.write_rules import default_write_rules


class RegistryFlask(Flask):
    """Flask, asking once per view or hook whether it must be run as a coroutine.

    Flask asks on every call (``inspect.iscoroutinefunction``): for a read that is a view
    and six hooks, every time. The answer for a given function never changes; it is kept
    as long as the function lives (weakly, so a per-request ``after_this_request`` callback
    does not pile up).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the verdict is kept: a value holding the function would keep its key alive.
        self._synchronous: WeakKeyDictionary[Callable[..., Any], bool] = WeakKeyDictionary()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            if self._synchronous[func]:
                return func
        except (KeyError, TypeError):  # TypeError: no weak reference to it; asked each time
            pass
        runnable = super().ensure_sync(func)
        with suppress(TypeError):
            self._synchronous[func] = runnable is func
        return runnable


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the registry application from settings (environment, then ``overrides``)."""
    settings = load_settings(overrides)
    app = RegistryFlask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
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
