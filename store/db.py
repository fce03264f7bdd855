"""Engine and sessions from ``ADAL_DATABASE_URL`` (SQLite in the instance folder by default)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    # WAL lets the portal write while the back office reads; foreign keys are off by default in
    # SQLite and our cascades (crypto-shredding deletes grants) depend on them.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=FULL")
    # Deleted ciphertext pages are overwritten, so purged data does not linger in the file.
    cur.execute("PRAGMA secure_delete=ON")
    # Most pages written are file-chunk ciphertext that is read again rarely, if ever; SQLite's
    # default 2 MiB cache per connection would mostly hold those, in every web worker.
    cur.execute("PRAGMA cache_size=-512")
    cur.close()


# SQLite creates its database 0644 and gives the -wal, -shm and -journal files the mode of the
# database file, whatever the folder's mode (issue 12, item 8). The database holds sealed
# reports and staff rows: only its owner may read it even if the folder is opened up later.
PRIVATE_FILE = 0o600
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def _private_sqlite_files(url: str) -> None:
    """Create the database file 0600 before SQLite does, and tighten an existing one (and its
    companions) made by an older version."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.parent.is_dir():
        return  # SQLite will say so when it connects
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))  # an empty file is a database
    for suffix in SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        try:
            if companion.stat().st_mode & 0o077:
                os.chmod(companion, PRIVATE_FILE)
        except FileNotFoundError:
            continue
        except PermissionError:
            continue  # another user's file: not ours to change, and readable only as it was


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        _private_sqlite_files(url)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed whole or rolled back whole, never half-written."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A savepoint in the session's transaction, on either database: what it wrote is undone
    with the transaction if a later step of the same unit of work fails.

    Python's SQLite driver begins a transaction only before its first INSERT, UPDATE or
    DELETE. A SAVEPOINT sent before that begins one of its own, and releasing it commits
    everything written in it there and then (a new account alone, before its key; an audit
    entry of an action that then failed). So on SQLite the transaction is begun first. It is
    begun here, not at the unit of work's first read: a transaction that has read holds its
    snapshot, and under a concurrent writer its first write would fail at once instead of
    waiting its turn."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        if driver is not None and not driver.in_transaction:
            connection.exec_driver_sql("BEGIN")
    with session.begin_nested():
        yield
