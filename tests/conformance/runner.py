"""A small TestScript runner for the suite under ``testscripts/`` (what its scripts use).

Operations: ``capabilities``, ``read``, ``search`` and ``history`` as GETs against a base URL,
with the script's request headers; asserts: ``responseCode`` (equals, notEquals, in, notIn),
``responseBody`` (matchesRegex), ``headerField`` (notEmpty) and ``contentType`` (contains).
Anything else in a script is an error, never a silent pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

TIMEOUT = 30.0


@dataclass(frozen=True)
class Failure:
    test: str
    label: str
    detail: str

    def __str__(self) -> str:
        return f"{self.test}: {self.label} ({self.detail})"


def run_script(client: httpx.Client, base: str, script: dict[str, Any]) -> list[Failure]:
    """Run every test of ``script``; the failed asserts (empty when it passed)."""
    failures: list[Failure] = []
    for test in script.get("test") or []:
        response: httpx.Response | None = None
        for action in test["action"]:
            if "operation" in action:
                response = _perform(client, base, action["operation"])
            elif "assert" in action:
                if response is None:
                    raise ValueError(f"{test['id']}: an assert before any operation")
                problem = _check(action["assert"], response)
                if problem:
                    failures.append(Failure(test["id"], action["assert"].get("label", ""),
                                            problem))
    return failures


def url_of(base: str, operation: dict[str, Any]) -> str:
    code = operation["type"]["code"]
    resource, params = operation.get("resource"), operation.get("params") or ""
    if code == "capabilities":
        return f"{base}/metadata"
    if code == "history":
        return f"{base}/{resource}/_history{params}"
    if code in ("read", "search"):
        return f"{base}/{resource}{params}" if resource else f"{base}{params}"
    raise ValueError(f"operation {code!r} is not supported by this runner")


def _perform(client: httpx.Client, base: str, operation: dict[str, Any]) -> httpx.Response:
    headers = {"Accept": "application/fhir+json"}
    headers.update({h["field"]: h["value"] for h in operation.get("requestHeader") or []})
    return client.get(url_of(base, operation), headers=headers, timeout=TIMEOUT)


def _check(rule: dict[str, Any], response: httpx.Response) -> str | None:
    operator = rule.get("operator", "equals")
    if "responseCode" in rule:
        return _code(operator, rule["responseCode"], response.status_code)
    if "responseBody" in rule and operator == "matchesRegex":
        found = re.search(rule["responseBody"], response.text)
        return None if found else f"body does not match {rule['responseBody']!r}"
    if "headerField" in rule and operator == "notEmpty":
        value = response.headers.get(rule["headerField"], "")
        return None if value.strip() else f"header {rule['headerField']} is empty"
    if "contentType" in rule and operator == "contains":
        value = response.headers.get("Content-Type", "")
        return None if rule["contentType"] in value else f"Content-Type is {value!r}"
    raise ValueError(f"assert {rule} is not supported by this runner")


def _code(operator: str, expected: str, status: int) -> str | None:
    codes = {int(c) for c in expected.split(",")}
    held = {"equals": status in codes, "in": status in codes, "notEquals": status not in codes,
            "notIn": status not in codes}
    if operator not in held:
        raise ValueError(f"responseCode operator {operator!r} is not supported")
    return None if held[operator] else f"status {status}, expected {operator} {expected}"
