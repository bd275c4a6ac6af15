"""Schema migrations: the only way the schema is ever created or changed (Alembic).

Alembic (with Mako and Pygments, about 11 MB) is imported only when a migration runs, so a
serving process, which never migrates, does not carry it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """Alembic's configuration: where the migrations are, and nothing else.

    The database is never named here: ``migrations/env.py`` runs on the connection handed
    over in ``config.attributes`` (or the configured URL). A URL in the configuration would
    also go through ``configparser`` interpolation, which refuses a percent-encoded one (a
    password with ``@`` or ``/``, a Unix-socket host).
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the current schema)."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
