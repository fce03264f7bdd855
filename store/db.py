"""Engine and sessions from ``ADAL_DATABASE_URL`` (SQLite in the instance folder by default)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
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


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
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
