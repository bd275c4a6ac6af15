"""The public TestScript suite (``testscripts/``, see its SOURCE.md) against a served registry.

Upstream scripts run as published, except those the suite's own manifest replaces with versions
aimed at Practitioner or PractitionerRole (the registry stores no Patient) and those it marks
not adaptable (Patient-level ``$export``: skipped with the manifest's reason). The near
analogues on system-level ``$export`` run too. Where the registry answers otherwise than a
script asks, the script is an expected failure with the reason below (strict: a script that
starts passing must leave the list).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conformance.runner import run_script
from tests.served import Served, served_demo

SCRIPTS = Path(__file__).with_name("testscripts")
MANIFEST = json.loads((SCRIPTS / "adapted" / "manifest.json").read_text(encoding="utf-8"))

# script (relative to testscripts/) -> why the registry answers otherwise, on purpose or not
EXPECTED_FAILURES: dict[str, str] = {
    "adapted/fhir-r4-base/MUST/silent-ignore.adapted.json":
        "FHIR R4 search: unknown parameters are ignored by default (lenient handling), "
        "reported in an OperationOutcome entry; Prefer: handling=strict answers 400",
    "upstream/bulk-data-v2/SHOULD/group-export-discoverable.json":
        "Group-level $export is not implemented (system-level $export is); a cohort Group "
        "holds PractitionerRoles, not the Patients the Bulk Data IG's Group export is for",
}


def _scripts() -> Iterator[Any]:
    replaced, skipped = MANIFEST["replace"], MANIFEST["not_adaptable"]
    for path in sorted((SCRIPTS / "upstream").rglob("*.json")):
        name = str(path.relative_to(SCRIPTS / "upstream"))
        if name in skipped:
            yield pytest.param(f"upstream/{name}", marks=pytest.mark.skip(
                reason=f"not adaptable: {skipped[name]}"), id=name)
        elif name in replaced:
            yield _param(f"adapted/{replaced[name]}")
        else:
            yield _param(f"upstream/{name}")
    for path in sorted((SCRIPTS / "analogue").rglob("*.json")):
        yield _param(str(path.relative_to(SCRIPTS)))


def _param(name: str) -> Any:
    reason = EXPECTED_FAILURES.get(name)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(name, marks=marks, id=name)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served_demo(tmp_path_factory.mktemp("conformance")) as running:
        yield running


@pytest.fixture(scope="module")
def client(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(headers={"Authorization": f"Bearer {served.token}"}) as http:
        yield http


def test_expected_failures_name_scripts_that_exist() -> None:
    assert all((SCRIPTS / name).is_file() for name in EXPECTED_FAILURES)


@pytest.mark.parametrize("name", list(_scripts()))
def test_script(served: Served, client: httpx.Client, name: str) -> None:
    script = json.loads((SCRIPTS / name).read_text(encoding="utf-8"))
    failures = run_script(client, served.base, script)
    assert not failures, "; ".join(str(f) for f in failures)
