"""End to end over loopback HTTP: two hubs served by ``registry serve``, a global node that
pulls with the ``registry`` command (SMART Backend Services from one hub, a static token from
the other): publish, pull, update, delete, withdraw, duplicate, a hub going down and back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from registry.storage import migrate
from registry.storage.database import create_engine
from tests import factories
from tests.federation.conftest import published
from tests.test_cli import _free_port, _wait_for

REGISTRY = Path(sys.executable).with_name("registry")


@dataclass
class Node:
    name: str
    folder: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    admin: str = ""

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "REGISTRY_DATABASE_URL": f"sqlite:///{self.folder / 'db.sqlite'}",
                "REGISTRY_NODE_KEY": str(self.folder / "node-key.pem"),
                "REGISTRY_NODE_SECRET": f"{self.name}-secret-for-tests",
                "REGISTRY_SYNC_READ_TIMEOUT_SECONDS": "5"}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/fhir"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(REGISTRY), *args], env=self.env, capture_output=True,
                              text=True, timeout=120)
        if check:
            assert done.returncode == 0, done.stderr
        return done

    def start(self) -> None:
        self.port = self.port or _free_port()
        self.process = subprocess.Popen(
            [str(REGISTRY), "serve", "--port", str(self.port), "--workers", "1"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for(f"{self.base}/metadata")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
            self.process = None

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base}/{path}", data=data, method=method,
            headers={"Authorization": f"Bearer {self.admin}",
                     "Content-Type": "application/fhir+json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                text = answer.read()
                return answer.status, json.loads(text) if text else None
        except urllib.error.HTTPError as failed:
            return failed.code, None


def make_node(name: str, tmp: Path) -> Node:
    node = Node(name, tmp / name)
    node.folder.mkdir()
    engine = create_engine(node.env["REGISTRY_DATABASE_URL"])
    migrate.upgrade(engine)
    engine.dispose()
    node.admin = node.run("token", "create", "--role", "network-admin").stdout.splitlines()[-1]
    return node


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node, Node]]:
    made = tuple(make_node(n, tmp_path) for n in ("hub-a", "hub-b", "global"))
    try:
        for hub in made[:2]:
            hub.start()
        yield made  # type: ignore[misc]
    finally:
        for node in made:
            node.stop()


def test_three_served_nodes(nodes: tuple[Node, Node, Node], tmp_path: Path) -> None:
    hub_a, hub_b, world = nodes
    status, org_a = hub_a.call("POST", "Organization",
                               published(factories.hub("Hub Lima", "PE", "HUB-LIMA")))
    assert status == 201
    _, spoke_a = hub_a.call("POST", "Organization", published(factories.spoke(
        "Spoke Cusco", f"Organization/{org_a['id']}", "PE", "SPOKE-CUSCO")))
    hub_a.call("POST", "Organization", factories.spoke("Spoke Hidden",
                                                       f"Organization/{org_a['id']}"))
    hub_b.call("POST", "Organization", published(factories.hub("Hub Lima", "PE", "HUB-LIMA")))

    (tmp_path / "global.jwks").write_text(world.run("node", "jwks").stdout)
    client_id = hub_a.run("peer", "trust", "global", "--jwks",
                          str(tmp_path / "global.jwks")).stdout.splitlines()[-1]
    token = hub_b.run("token", "create", "--role", "peer").stdout.splitlines()[-1]
    world.run("peer", "add", "hub-a", "--base", hub_a.base, "--client-id", client_id)
    world.run("peer", "add", "hub-b", "--base", hub_b.base, "--token", token)

    first = world.run("sync")
    assert "hub-a: pulled 2, applied 2" in first.stdout
    assert "hub-b: pulled 1, applied 1" in first.stdout
    listed = world.run("peer", "list").stdout
    assert "holds Organization 2" in listed and "holds Organization 1" in listed
    assert len(world.run("duplicates", "list").stdout.splitlines()) == 1

    assert hub_a.call("PUT", f"Organization/{org_a['id']}",
                      {**org_a, "name": "Hub Lima Centro"})[0] == 200
    assert hub_a.call("PUT", f"Organization/{spoke_a['id']}", {**spoke_a, "meta": {}})[0] == 200
    second = world.run("sync", "--peer", "hub-a")
    assert "applied 1, removed 1, errors 0" in second.stdout
    assert "holds Organization 1" in world.run("peer", "list").stdout.split("\n")[0]

    hub_b.stop()
    failed = world.run("sync", check=False)
    assert failed.returncode == 1
    assert "hub-a: pulled" in failed.stdout and "FAILED" not in failed.stdout.split("\n")[0]
    assert failed.stderr.strip().splitlines()[-1].startswith("Error: sync from hub-b failed")
    hub_b.start()
    assert world.run("sync").returncode == 0
