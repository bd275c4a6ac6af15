"""The application object: Flask asks once per view or hook whether it is a coroutine."""

from __future__ import annotations

import gc
import weakref
from collections import Counter
from typing import Any

import flask.app
import pytest
from flask import Flask, after_this_request

from tests.conftest import Fhir


def test_each_view_and_hook_is_asked_once_whether_it_is_a_coroutine(
        app: Flask, fhir: Fhir, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: Counter[Any] = Counter()
    real = flask.app.iscoroutinefunction

    def counting(func: Any) -> bool:
        asked[func] += 1
        return real(func)

    monkeypatch.setattr(flask.app, "iscoroutinefunction", counting)
    created = fhir.create({"resourceType": "Organization", "name": "Hub"})
    for _ in range(3):
        assert fhir.get(f"Organization/{created['id']}").status_code == 200
    assert asked and max(asked.values()) == 1  # the view and every hook, once each


def test_a_per_request_callback_is_not_kept_once_the_request_is_over(app: Flask) -> None:
    seen: list[weakref.ref[Any]] = []

    @app.route("/probe-callback")
    def probe() -> str:
        def callback(response: Any) -> Any:
            return response

        seen.append(weakref.ref(callback))
        after_this_request(callback)
        return "ok"

    assert app.test_client().get("/probe-callback").status_code == 200
    gc.collect()
    assert len(seen) == 1 and seen[0]() is None
