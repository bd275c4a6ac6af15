"""The ``registry`` command line: migrations, tokens, demo loading and the production server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from registry.storage import migrate
from registry.storage.database import create_engine
from tests.conftest import Fhir, build_app


def test_db_upgrade_creates_the_schema_on_an_empty_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    runner = build_app(url).test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = create_engine(url)
    assert migrate.current_revision(engine) is not None
    assert {"resource", "resource_version", "idx_token"} <= set(sa.inspect(engine)
                                                                 .get_table_names())
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0  # idempotent
    engine.dispose()


def test_db_upgrade_takes_a_percent_encoded_database_url(tmp_path: Path) -> None:
    """A URL with percent-escapes (here a path with ``%``; in production a
    password with ``@`` or a Unix-socket host) migrates like any other."""
    path = tmp_path / "node 100% ready" / "registry.db"
    path.parent.mkdir()
    url = sa.engine.URL.create("sqlite", database=str(path)).render_as_string()
    assert "%25" in url
    result = build_app(url).test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = create_engine(url)
    assert migrate.current_revision(engine) is not None
    engine.dispose()
    assert path.exists()


def test_models_and_migrations_agree(database_url: str) -> None:
    """``alembic check``: the migrated schema has no drift from the table definitions."""
    from alembic import command

    engine = create_engine(database_url)
    config = migrate.alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.check(config)
    engine.dispose()


def test_token_create_list_revoke(app: Flask) -> None:
    runner = app.test_cli_runner()
    created = runner.invoke(args=["token", "create", "--role", "network-admin", "--name", "ops"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("tnr_") and len(token) >= 43
    assert Fhir(app.test_client(), token).get("Organization").status_code == 200
    listed = runner.invoke(args=["token", "list"]).output
    assert "ops" in listed and token not in listed
    token_id = listed.split()[0]
    assert runner.invoke(args=["token", "revoke", token_id]).exit_code == 0
    again = runner.invoke(args=["token", "revoke", token_id])
    assert again.exit_code != 0 and "No active token" in again.output


def test_token_create_rejects_unknown_role(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["token", "create", "--role", "emperor"])
    assert result.exit_code != 0


def test_demo_is_deterministic_and_idempotent(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "--scale", "0.05"])
    assert first.exit_code == 0, first.output
    assert " 0 unchanged" in first.output
    second = runner.invoke(args=["demo", "--scale", "0.05"])
    assert "0 written" in second.output
    skipped = runner.invoke(args=["demo", "--if-empty"])
    assert "not empty" in skipped.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_runs_gunicorn(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    port = _free_port()
    env = {**os.environ, "REGISTRY_DATABASE_URL": url}
    registry = Path(sys.executable).with_name("registry")
    process = subprocess.Popen([str(registry), "serve", "--port", str(port), "--workers", "1"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        body = _wait_for(f"http://127.0.0.1:{port}/fhir/metadata")
        assert b"CapabilityStatement" in body
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert "gunicorn" in output.lower()


def _wait_for(url: str) -> bytes:
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                return response.read()  # type: ignore[no-any-return]
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"server did not answer at {url}")
