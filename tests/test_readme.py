"""The README walked as a new user walks it: every ``sh`` block runs, as written, against a
registry served over the default demo (``make run``'s: ``registry db upgrade``, ``registry
demo``, ``registry serve``).

Only the port differs (``127.0.0.1:5000`` becomes the test server's). Blocks run in order, each
in its own ``bash -euo pipefail`` with the repository as working directory, ``.venv/bin`` first
on ``PATH`` and ``TOKEN``, ``H`` and ``B`` set as the tour sets them; ``curl`` fails on an HTTP
error (``--fail-with-body``), so an example that answers 4xx fails the walk. A block that cannot
run here (``make run`` serves forever, ``make test`` is this suite, a deployment recipe) is
preceded by ``<!-- readme: no-run (why) -->``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.served import Served, served_demo

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"(?P<marker><!-- readme: no-run \((?P<why>[^)]*)\) -->\n)?```sh\n"
                   r"(?P<body>.*?)```", re.DOTALL)
BLOCK_TIMEOUT = 120  # seconds for one block
PRELUDE = 'curl() { command curl --fail-with-body "$@"; }\n'


def blocks(text: str) -> Iterator[tuple[int, str, str | None]]:
    """(line number, body, reason not to run) of every ``sh`` block."""
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start("body"))
        yield line, match["body"], match["why"]


def _params() -> list[object]:
    found = []
    for line, body, why in blocks(README.read_text(encoding="utf-8")):
        marks = [pytest.mark.skip(reason=f"README says: {why}")] if why else []
        found.append(pytest.param(body, marks=marks, id=f"README.md:{line}"))
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served_demo(tmp_path_factory.mktemp("readme"), scale="1.0") as running:
        yield running


def test_blocks_are_found() -> None:
    found = list(blocks(README.read_text(encoding="utf-8")))
    assert len(found) >= 10 and sum(1 for _, _, why in found if not why) >= 8


def test_no_block_uses_a_placeholder() -> None:
    """``…``, ``<job>`` or ``tnr_...`` cannot be run as written."""
    for line, body, why in blocks(README.read_text(encoding="utf-8")):
        if not why:
            assert not re.search(r"…|<[a-z]+>|tnr_\.\.\.", body), f"README.md:{line}"


@pytest.mark.parametrize("body", _params())
def test_block_runs(served: Served, body: str) -> None:
    script = PRELUDE + body.replace("127.0.0.1:5000", f"127.0.0.1:{served.port}")
    env = {**served.env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "TOKEN": served.token, "H": f"Authorization: Bearer {served.token}", "B": served.base}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=BLOCK_TIMEOUT, check=False)
    assert done.returncode == 0, f"{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
