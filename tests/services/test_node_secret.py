"""The node secret: configured, or generated once and kept private in the instance folder."""

from __future__ import annotations

import stat
from pathlib import Path

from registry.services.secret import NodeSecret


def test_configured_secret_wins_and_no_file_is_written(tmp_path: Path) -> None:
    path = tmp_path / "node-secret"
    assert NodeSecret("from-the-environment", path).value() == b"from-the-environment"
    assert not path.exists()


def test_generated_once_kept_with_mode_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "node-secret"
    first = NodeSecret("", path).value()
    assert len(first) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert NodeSecret("", path).value() == first  # a restart keeps subject keys stable


def test_app_installs_the_configured_secret(tmp_path: Path) -> None:
    from registry.app import create_app

    app = create_app({"database_url": f"sqlite:///{tmp_path / 'x.db'}", "node_secret": "k"})
    assert app.extensions["registry.node"].secret.value() == b"k"
