from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from store.db import make_engine
from store.migrate import current_revision, upgrade
from store.models import Base


def test_migrations_build_schema_from_empty_and_match_models(database_url: str, tmp_path) -> None:
    (tmp_path / "instance").mkdir(exist_ok=True)
    engine = make_engine(database_url)
    try:
        assert inspect(engine).get_table_names() == []
        upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        assert current_revision(engine) is not None
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        # Upgrading again is a no-op, as `adal db upgrade` on a current database must be.
        upgrade(engine)
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
