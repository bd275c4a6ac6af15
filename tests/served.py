"""A registry served by ``registry serve`` as an operator runs it: a fresh SQLite database
brought up with ``registry db upgrade``, a small demo loaded with ``registry demo``, a
network-admin token from ``registry token create``. For the tests that talk to a real server
over loopback (the conformance suite, the README walk)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DEMO_SCALE = "0.05"
START_TIMEOUT = 60.0  # seconds for the server to answer /fhir/metadata
COMMAND_TIMEOUT = 300  # seconds for one set-up command


@dataclass(frozen=True)
class Served:
    base: str  # the FHIR base, http://127.0.0.1:PORT/fhir
    port: int
    token: str  # a network-admin bearer token
    env: dict[str, str]  # the environment the server runs with (its database, instance)
    bin: Path  # the folder of the ``registry`` executable


def registry_command(env: dict[str, str], *args: str) -> str:
    """Run ``registry ARGS`` to completion; its stdout, or an AssertionError with stderr."""
    done = subprocess.run([str(Path(sys.executable).with_name("registry")), *args], env=env,
                          capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False)
    assert done.returncode == 0, f"registry {' '.join(args)}: {done.stderr[-2000:]}"
    return done.stdout


@contextmanager
def served_demo(folder: Path, scale: str = DEMO_SCALE) -> Iterator[Served]:
    """Serve a demo registry (``registry demo --scale scale``) from ``folder`` until the block
    ends."""
    env = {**os.environ, "REGISTRY_DATABASE_URL": f"sqlite:///{folder / 'registry.db'}",
           "REGISTRY_NODE_SECRET": "served-test-node-secret",
           "REGISTRY_EXPORT_DIR": str(folder / "exports")}
    env.pop("REGISTRY_BASE_URL", None)
    registry_command(env, "db", "upgrade")
    registry_command(env, "demo", "--scale", scale)
    token = registry_command(env, "token", "create", "--role", "network-admin",
                             "--name", "served-test").strip().splitlines()[-1]
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("registry")), "serve", "--port", str(port),
         "--workers", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(f"http://127.0.0.1:{port}/fhir/metadata", process)
        yield Served(f"http://127.0.0.1:{port}/fhir", port, token, env,
                     Path(sys.executable).parent)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            raise AssertionError(f"registry serve exited: {stderr[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"registry serve did not answer at {url}")
