"""Issue 12, item 8: the SQLite database and its WAL and SHM files are 0600, not 0644.

SQLite even when the suite runs on PostgreSQL: the files are what is tested."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from installation import instance as inst
from store.db import make_engine
from tests.support.instance import TEST_KDF, run_cli


@pytest.fixture
def common_umask() -> Iterator[None]:
    # The usual login umask: with it SQLite alone makes world-readable files.
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_instance_database_and_its_wal_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, common_umask: None
) -> None:
    path = tmp_path / "instance"
    monkeypatch.setenv("ADAL_INSTANCE", str(path))
    monkeypatch.delenv("ADAL_DATABASE_URL", raising=False)
    code, output = run_cli("init", *TEST_KDF)
    assert code == 0, output
    database = path / inst.DB_NAME
    assert _mode(database) == 0o600
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as conn:  # a connection held open keeps -wal and -shm in place
        conn.execute(text("CREATE TABLE probe (x INTEGER)"))
        conn.commit()
        for suffix in ("-wal", "-shm"):
            companion = database.with_name(database.name + suffix)
            assert companion.exists(), suffix
            assert _mode(companion) == 0o600, suffix
    engine.dispose()


def test_an_older_world_readable_database_is_tightened(tmp_path: Path, common_umask: None) -> None:
    database = tmp_path / "adal.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE probe (x INTEGER)"))
        conn.commit()
    engine.dispose()
    os.chmod(database, 0o644)  # as versions before the fix left it
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO probe VALUES (1)"))
        conn.commit()
        assert _mode(database) == 0o600
        assert _mode(database.with_name("adal.db-wal")) == 0o600
    engine.dispose()
