"""Schema-driven fuzzing of the API (issue #35): schemathesis generates requests from the
OpenAPI document, valid ones and ones that break it, for every operation, on both databases.

Every answer must be below 500, every error an OperationOutcome, and a refused request must
write nothing. ``REGISTRY_FUZZ_EXAMPLES`` bounds the examples per operation and generation
mode (a few by default, so it runs in ``make test``; raise it for a long hunt);
``REGISTRY_FUZZ_SEED`` picks another deterministic run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.conftest import make_token
from tests.fuzz.budget import EXAMPLES, SEED, written


def check(response: Any, client: Any, headers: dict[str, str], before: Any,
          label: Callable[[], str]) -> None:
    status = response.status_code
    assert status < 500, f"{label()} answered {status} {response.text[:500]}"
    if status >= 400:
        body = response.json()
        assert body["resourceType"] == "OperationOutcome" and body["issue"], label()
        assert written(client, headers) == before, f"{label()}: a refused request wrote"


def operations(app: Flask) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/docs/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def fuzz(operation: Any, mode: GenerationMode, client: Any, headers: dict[str, str]) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @seed(SEED)
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        before = written(client, headers)
        # Always the valid token: the address's failed sign-ins are budgeted (429 after a
        # few), which would hide every later operation behind the budget.
        case.headers = {**(case.headers or {}), **headers}
        response = case.call()
        check(response, client, headers, before, lambda: f"{label}: {case.as_curl_command()}")

    try:
        run()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE, label  # nothing in it can be made invalid


@pytest.mark.settings(rate_limit="")
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
def test_no_generated_request_is_a_server_error(app: Flask, mode: GenerationMode) -> None:
    headers = {"Authorization": f"Bearer {make_token(app)}"}
    client = app.test_client()
    for operation in operations(app):
        fuzz(operation, mode, client, headers)
