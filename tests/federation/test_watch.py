"""``registry sync --watch`` stops cleanly on SIGINT and SIGTERM (as systemd stops it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REGISTRY = Path(sys.executable).with_name("registry")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_watch_stops_cleanly_on_a_signal(tmp_path: Path, signum: signal.Signals) -> None:
    env = {**os.environ, "REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
           "REGISTRY_NODE_SECRET": "watch-secret-for-tests"}
    subprocess.run([str(REGISTRY), "db", "upgrade"], env=env, check=True, capture_output=True,
                   timeout=120)
    subprocess.run([str(REGISTRY), "peer", "add", "nowhere", "--base",
                    "http://127.0.0.1:9/fhir", "--token", "t"], env=env, check=True,
                   capture_output=True, timeout=60)
    watching = subprocess.Popen([str(REGISTRY), "sync", "--watch", "3600"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert watching.stdout is not None
        first = watching.stdout.readline()  # the first run is over: now it waits an hour
        assert first.startswith("nowhere: pulled 0"), first
        watching.send_signal(signum)
        _, stderr = watching.communicate(timeout=30)
    finally:
        if watching.poll() is None:
            watching.kill()
            watching.wait(timeout=30)
    assert watching.returncode == 0, stderr
    assert f"sync stopped ({signum.name})" in stderr and "Traceback" not in stderr
