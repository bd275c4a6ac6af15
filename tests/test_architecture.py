"""The layering rules of STYLE.md, enforced by import-linter contracts in pyproject.toml, and what
a started worker may hold."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept() -> None:
    previous = Path.cwd()
    os.chdir(ROOT)
    try:
        assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0
    finally:
        os.chdir(previous)


# What a worker of `registry serve` holds: the master imports the CLI and builds the app before
# it forks, then the worker answers requests. The analysis, chart and PDF libraries weigh
# hundreds of MB over a master and its workers; they must load only where they are used.
ANALYSIS_LIBRARIES = ("numpy", "scipy", "statsmodels", "pandas", "matplotlib", "fpdf", "PIL")
STARTED_WORKER = """
import sys
from registry.cli import main  # what `registry serve` imports before it forks its workers
from registry.app import create_app
from registry.storage import migrate
from registry.storage.database import create_engine

engine = create_engine(sys.argv[1])
migrate.upgrade(engine)
engine.dispose()
client = create_app({"database_url": sys.argv[1]}).test_client()
for path in ("/fhir/metadata", "/fhir/Practitioner?name=a", "/fhir/Practitioner/x", "/"):
    client.get(path)
client.post("/fhir/Practitioner", json={"resourceType": "Practitioner"})
print(" ".join(sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[2:]))))
"""


def test_a_started_worker_has_loaded_no_analysis_library(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", STARTED_WORKER, f"sqlite:///{tmp_path / 'registry.db'}",
         *ANALYSIS_LIBRARIES], capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, "REGISTRY_LOG_LEVEL": "WARNING"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
