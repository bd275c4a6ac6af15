"""FHIR-aware fuzzing (issue #35): bad values for every search parameter type, modifier and
prefix, for paging and history parameters, headers and body shapes, on both databases.

Values are drawn by hypothesis from what broke FHIR servers before: Unicode digits, integers
beyond 64 bits, NUL and other control characters, overflowing and non-finite numbers, very
long values, malformed dates, references and tokens, and deep or null-laden bodies. Every
answer must be below 500, every error an OperationOutcome, and nothing may be written by a
refused request. ``REGISTRY_FUZZ_EXAMPLES`` bounds the examples of each test.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tests.conftest import make_token
from tests.fuzz.budget import EXAMPLES, SEED, written

FUZZ = settings(max_examples=EXAMPLES * 8, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))

NASTY = st.sampled_from([
    "", " ", "\u00b2", "\u0663", "1\u00b2", "99999999999999999999999", "-99999999999999999999",
    "1e999999999", "-1e999999999", "inf", "-inf", "nan", "NaN", "1e308", "0x10", "1_000",
    "a\u0000b", "\u0000", "\t\n", "\ud7ff\ue000", "%", "%00", "'", "\"", "\\", "--", ";",
    "' OR 1=1 --", "*", "?", "|", "||", "|x", "x|", "a|b|c", "$", "$x", ",", ",,", "a,b",
    ":", "::", "a:b", "#", "/", "//", "../..", "Organization/", "/Organization",
    "Organization/a/_history/1", "http://", "urn:", "2024-13-45", "2024-02-30", "0000",
    "9999-12-31T23:59:60Z", "2024-01-01T25:00", "T", "1|1|1|km", "1|1|1|parsec", "ge", "eq",
    "x" * 5000, "a/" * 3000, "\u202e", "\U0001f600", "０１２",
])
VALUES = st.one_of(NASTY, st.text(max_size=30),
                   st.integers(min_value=-(2**80), max_value=2**80).map(str),
                   st.floats(allow_nan=True, allow_infinity=True).map(repr))
PREFIXES = st.sampled_from(["", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap", "xx"])
MODIFIERS = st.sampled_from(["", ":exact", ":contains", ":missing", ":not", ":text", ":above",
                             ":below", ":in", ":not-in", ":of-type", ":identifier", ":type",
                             ":Organization", ":iterate", ":nonsense", ":", "::exact"])
RESULT = st.sampled_from(["_count", "_offset", "_sort", "_include", "_revinclude", "_summary",
                          "_total", "_elements", "_contained", "_format", "_has",
                          "_has:PractitionerRole:organization:name", "_list", "_text"])
HISTORY = st.sampled_from(["_since", "_at", "_count", "_cursor", "_sort", "_type"])


def parameters(app: Flask) -> list[tuple[str, str]]:
    """Every (resource type, search parameter) pair the node serves, chained ones too."""
    registry = app.extensions["registry.node"].search_parameters
    found = [(res_type, code) for res_type in app.extensions["registry.node"].resource_types
             for code in [*registry.common, *registry.for_type(res_type)]]
    chains = [(res_type, f"{code}.name") for res_type, code in found
              if registry.get(res_type, code) and registry.get(res_type, code).type ==
              "reference"]
    return found + chains


def query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(name, safe=':._-')}={quote(value, safe='|,:')}"
                    for name, value in pairs)


class Probe:
    """Sends one request, checks the answer and that a refusal wrote nothing."""

    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {make_token(app)}",
                        "Content-Type": "application/fhir+json"}

    def send(self, method: str, url: str, body: Any = None, **headers: str) -> None:
        before = written(self.client, self.headers)
        data = body if isinstance(body, str | bytes | None) else json.dumps(body)
        response = self.client.open(url, method=method, data=data,
                                    headers={**self.headers, **headers})
        status = response.status_code
        assert status < 500, f"{method} {url[:300]} {str(headers)[:200]} -> {status} " \
                             f"{response.get_data(as_text=True)[:300]}"
        if status >= 400:
            outcome = response.json
            assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"], url
            assert written(self.client, self.headers) == before, f"{method} {url} wrote"


pytestmark = pytest.mark.settings(rate_limit="")


def test_search_parameters_with_bad_values_modifiers_and_prefixes(app: Flask) -> None:
    probe, known = Probe(app), parameters(app)

    @seed(SEED)
    @FUZZ
    @given(st.data())
    def run(data: st.DataObject) -> None:
        res_type, code = data.draw(st.sampled_from(known))
        name = code + data.draw(MODIFIERS)
        value = data.draw(PREFIXES) + data.draw(VALUES)
        extra = [(data.draw(RESULT), data.draw(VALUES))]
        pairs = [(name, value), *extra]
        if data.draw(st.booleans()):
            probe.send("GET", f"/fhir/{res_type}?{query(pairs)}")
        else:
            probe.send("POST", f"/fhir/{res_type}/_search", query(pairs),
                       **{"Content-Type": "application/x-www-form-urlencoded"})

    run()


def test_history_paging_and_version_values(app: Flask) -> None:
    probe = Probe(app)

    @seed(SEED)
    @FUZZ
    @given(HISTORY, VALUES, VALUES, st.sampled_from(["", "Organization/", "Organization/x/"]))
    def run(name: str, value: str, version: str, scope: str) -> None:
        probe.send("GET", f"/fhir/{scope}_history?{query([(name, value)])}")
        probe.send("GET", f"/fhir/Organization/x/_history/{quote(version, safe='')}")

    run()


HEADER_NAMES = st.sampled_from(["If-Match", "If-None-Match", "If-None-Exist", "Prefer",
                                "Accept", "Content-Type", "If-Modified-Since"])
HEADER_VALUES = st.one_of(VALUES.filter(lambda v: "\u0000" not in v and "\n" not in v),
                          VALUES.map(lambda v: f'W/"{v}"'))


def test_headers_on_reads_and_writes(app: Flask) -> None:
    probe = Probe(app)
    body = {"resourceType": "Organization", "name": "Fuzzed Hub"}

    @seed(SEED)
    @FUZZ
    @given(HEADER_NAMES, HEADER_VALUES.filter(lambda v: v.isprintable() and v.isascii()),
           st.sampled_from(["GET", "PUT", "POST", "DELETE", "PATCH"]))
    def run(name: str, value: str, method: str) -> None:
        url = "/fhir/Organization" if method == "POST" else "/fhir/Organization/fuzz-org"
        probe.send(method, url, None if method in ("GET", "DELETE") else body, **{name: value})

    run()


JSON_LEAF = st.one_of(st.none(), st.booleans(), VALUES, st.integers(min_value=-(2**70),
                                                                     max_value=2**70),
                      st.floats(allow_nan=False, allow_infinity=False))
JSON = st.recursive(JSON_LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=20)
ELEMENTS = st.sampled_from(["id", "meta", "name", "identifier", "type", "address", "partOf",
                            "extension", "contained", "text", "active", "telecom", "alias",
                            "resourceType", "implicitRules", "language", "modifierExtension"])


def test_body_shapes_on_every_write(app: Flask) -> None:
    probe = Probe(app)
    types = list(app.extensions["registry.node"].resource_types)

    @seed(SEED)
    @FUZZ
    @given(st.sampled_from(types), st.dictionaries(ELEMENTS, JSON, max_size=5),
           st.sampled_from(["create", "update", "batch", "transaction", "validate", "raw"]))
    def run(res_type: str, elements: dict[str, Any], how: str) -> None:
        resource = {"resourceType": res_type, **elements}
        if how == "create":
            probe.send("POST", f"/fhir/{res_type}", resource)
        elif how == "update":
            probe.send("PUT", f"/fhir/{res_type}/fuzz-1", {**resource, "id": "fuzz-1"})
        elif how == "validate":
            probe.send("POST", f"/fhir/{res_type}/$validate", resource)
        elif how == "raw":
            probe.send("POST", f"/fhir/{res_type}", json.dumps(elements)[:-1])
        else:
            probe.send("POST", "/fhir/", {"resourceType": "Bundle", "type": how, "entry": [
                {"resource": resource, "request": {"method": "POST", "url": res_type}},
                {"request": {"method": "GET", "url": f"{res_type}?_id=x"}}]})

    run()
