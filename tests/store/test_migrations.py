from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from store.db import make_engine
from store.migrate import current_revision, upgrade
from store.models import Base


def _on(dialect: str) -> Callable[..., bool]:
    """Alembic compares every index of the models; one made for one database only
    (``Index.ddl_if(dialect=...)``, e.g. the deadlines page's) exists on that database only."""

    def include(item: Any, _name: Any, kind: str, _reflected: bool, _other: Any) -> bool:
        condition = getattr(item, "_ddl_if", None) if kind == "index" else None
        return condition is None or condition.dialect in (None, dialect)

    return include


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
            context = MigrationContext.configure(
                conn, opts={"include_object": _on(engine.dialect.name)}
            )
            diff = compare_metadata(context, Base.metadata)
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
