"""The run's own database, ``registry_bench``: created empty, migrated with the registry's own
Alembic migrations, loaded, measured, dropped. The write floor writes into it too, once the
registry has stopped, so the floor's tables and indexes are the registry's and hold as many
rows. On PostgreSQL the database is created and dropped by name on the local server; the
project's test databases are never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from registry.storage import migrate
from registry.storage.database import create_engine

BENCH_DATABASE = "registry_bench"
PROTECTED = frozenset({"test", "registry_test", "postgres", "template0", "template1"})


@dataclass(frozen=True)
class BenchDatabases:
    registry_url: str
    dialect: str


@contextmanager
def bench_databases(db: str, work_dir: Path, postgres_server: str, *,
                    keep: bool = False) -> Iterator[BenchDatabases]:
    """A fresh, migrated database for one run; dropped afterwards unless ``keep``."""
    if db == "sqlite":
        url = f"sqlite:///{work_dir / BENCH_DATABASE}.db"
        _remove_sqlite(url)
    elif db == "postgresql":
        url = _create_postgres(postgres_server, BENCH_DATABASE)
    else:
        raise ValueError(f"--db must be sqlite or postgresql, got {db!r}")
    _migrate(url)
    try:
        yield BenchDatabases(url, db)
    finally:
        if not keep:
            _drop(url, postgres_server)


def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def _create_postgres(server: str, name: str) -> str:
    _refuse_protected(name)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
    finally:
        admin.dispose()
    return sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)


def _drop(url: str, server: str) -> None:
    if url.startswith("sqlite"):
        _remove_sqlite(url)
        return
    name = sa.engine.make_url(url).database or ""
    _refuse_protected(name)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        admin.dispose()


def _remove_sqlite(url: str) -> None:
    path = Path(sa.engine.make_url(url).database or "")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _refuse_protected(name: str) -> None:
    if name in PROTECTED:
        raise RuntimeError(f"refusing to create or drop the database {name!r}")


def database_size_mb(url: str) -> float:
    """On-disk size of the registry database, reported next to the figures."""
    if url.startswith("sqlite"):
        path = Path(sa.engine.make_url(url).database or "")
        return sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal")
                   if Path(f"{path}{s}").exists()) / 1e6
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            size = conn.execute(sa.text("SELECT pg_database_size(current_database())"))
            return int(size.scalar_one()) / 1e6
    finally:
        engine.dispose()
