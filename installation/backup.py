"""Backup and restore of a whole installation: every table's rows and the instance folder.

Database-agnostic: rows travel through SQLAlchemy Core, so a SQLite installation can be
restored onto PostgreSQL and back. The dump reads one consistent snapshot (REPEATABLE READ, read
only, on PostgreSQL; one read transaction on SQLite), table by table in foreign-key order,
streaming rows (file chunks are never all in memory), and records the Alembic revision.

Inside the encrypted container (installation.backupfile) the plaintext is zlib-compressed JSON
lines:

    {"format": "adal-backup/1", "revision": ..., "dialect": ..., "tables": [...]}
    {"file": "adal.json", "mode": 384, "data": base64}          one per instance file
    {"table": "envelopes", "columns": [...]}                     then one JSON array per row
    {"end": "envelopes", "rows": n}
    {"done": {"envelopes": n, ...}}

Values: JSON scalars as they are; bytes {"b": base64}; datetimes {"t": ISO, always UTC};
dates {"d": ISO}; JSON documents {"j": value}.

Every file of the instance folder travels as it is, so adding one (portal.key) needed no new
format: a backup made before portal.key existed restores without it, and the next back-office
load creates it (installation.instance.load).

Instance files are read *before* the database snapshot. The audit anchor (store.audit) then
names an entry the snapshot contains, so `adal audit verify` passes on the restored copy.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, Table, func, inspect, select, text

from installation import instance as inst
from installation.backupfile import BackupError, BackupWriter, open_stream
from store import audit
from store.db import session_factory, transaction
from store.migrate import alembic_config, upgrade

FORMAT = "adal-backup/1"
# The live SQLite database is dumped as rows, never copied as a file mid-write.
DB_FILES = frozenset(
    {inst.DB_NAME, f"{inst.DB_NAME}-wal", f"{inst.DB_NAME}-shm", f"{inst.DB_NAME}-journal"}
)
ROWS_PER_FETCH = 64  # 64 file chunks of 64 KiB: a few MiB in flight at most
INSERT_BATCH_ROWS = 500
INSERT_BATCH_BYTES = 8 * 1024 * 1024


@dataclass
class Summary:
    revision: str
    tables: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    bytes_written: int = 0

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


# --- values -------------------------------------------------------------------------------


def encode_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes | memoryview):
        return {"b": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, datetime):
        # SQLite hands back naive datetimes; Adal stores UTC everywhere, so naive means UTC.
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {"t": aware.astimezone(UTC).isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, dict | list):
        return {"j": value}
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


def decode_value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    ((kind, data),) = value.items()
    if kind == "b":
        return base64.b64decode(data)
    if kind == "t":
        return datetime.fromisoformat(data)
    if kind == "d":
        return date.fromisoformat(data)
    if kind == "j":
        return data
    raise BackupError(f"unknown value kind {kind!r} in the backup")


def _line(record: Any) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


# --- dump -----------------------------------------------------------------------------------


def _instance_files(path: Path) -> Iterator[tuple[str, int, bytes]]:
    for file in sorted(path.rglob("*")):
        rel = file.relative_to(path).as_posix()
        if file.is_file() and not file.is_symlink() and rel not in DB_FILES:
            yield rel, file.stat().st_mode & 0o777, file.read_bytes()


def _snapshot(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
    elif conn.dialect.name == "sqlite":
        # pysqlite starts no transaction for reads; without BEGIN every SELECT would see the
        # database as of its own moment. The first read inside fixes the WAL snapshot.
        conn.exec_driver_sql("BEGIN")
    else:  # pragma: no cover - only the two supported databases
        raise BackupError(f"backups support SQLite and PostgreSQL, not {conn.dialect.name}")


def _tables(conn: Connection) -> list[Table]:
    meta = MetaData()
    meta.reflect(bind=conn)
    return [t for t in meta.sorted_tables if t.name != "alembic_version"]


def dump(
    engine: Engine, instance_path: Path, dst: BinaryIO, passphrase: str, **writer_options: Any
) -> Summary:
    """Write the encrypted backup of this installation to `dst`."""
    writer = BackupWriter(dst, passphrase, **writer_options)
    packer = zlib.compressobj(6)

    def out(record: Any) -> None:
        writer.write(packer.compress(_line(record)))

    files = list(_instance_files(instance_path))
    with engine.connect() as conn:
        _snapshot(conn)
        revision = MigrationContext.configure(conn).get_current_revision()
        if revision is None:
            raise BackupError("the database has no schema: nothing to back up")
        tables = _tables(conn)
        summary = Summary(revision)
        out(
            {
                "format": FORMAT,
                "revision": revision,
                "dialect": conn.dialect.name,
                "tables": [t.name for t in tables],
            }
        )
        for rel, mode, data in files:
            out({"file": rel, "mode": mode, "data": base64.b64encode(data).decode()})
            summary.files.append(rel)
        for table in tables:
            columns = [c.name for c in table.columns]
            out({"table": table.name, "columns": columns})
            order = list(table.primary_key.columns) or list(table.columns)
            result = conn.execute(
                select(table).order_by(*order).execution_options(yield_per=ROWS_PER_FETCH)
            )
            count = 0
            for row in result:
                out([encode_value(v) for v in row])
                count += 1
            out({"end": table.name, "rows": count})
            summary.tables[table.name] = count
        conn.rollback()
    out({"done": summary.tables})
    writer.write(packer.flush())
    writer.close()
    summary.bytes_written = writer.written
    return summary


# --- restore --------------------------------------------------------------------------------


def _lines(src: BinaryIO, passphrase: str) -> Iterator[Any]:
    unpacker = zlib.decompressobj()
    pending = b""
    for frame in open_stream(src, passphrase):
        pending += unpacker.decompress(frame)
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            yield json.loads(raw)
    *complete, pending = (pending + unpacker.flush()).split(b"\n")
    for raw in complete:
        yield json.loads(raw)
    if pending.strip():
        raise BackupError("the backup ends inside a record")


def verify_file(src: BinaryIO, passphrase: str) -> None:
    """Authenticate every frame to the end: WrongPassphrase or BackupError, or a sound file."""
    for _frame in open_stream(src, passphrase):
        pass


class NotEmpty(BackupError):
    """The target instance or database already holds data; restore changed nothing."""


def _check_empty(engine: Engine, instance_path: Path, revision: str) -> None:
    if inst.is_initialised(instance_path) or (instance_path / audit.ANCHOR_NAME).exists():
        raise NotEmpty(
            f"{instance_path} already holds an instance; restore only into an empty "
            "one (a new ADAL_INSTANCE). Nothing was changed"
        )
    if engine.dialect.name == "sqlite" and not Path(engine.url.database or "").exists():
        return  # inspecting would create the file; a missing file is an empty database
    if not inspect(engine).get_table_names():
        return
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        if current not in (None, revision):
            raise NotEmpty(
                f"the database has schema revision {current}, the backup {revision}: "
                "restore into an empty database. Nothing was changed"
            )
        meta = MetaData()
        meta.reflect(bind=conn)
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            if conn.execute(select(func.count()).select_from(table)).scalar_one():
                raise NotEmpty(
                    f"the database already holds data (table {table.name}); restore "
                    "only into an empty database. Nothing was changed"
                )


def _known_revision(engine: Engine, revision: str) -> None:
    scripts = ScriptDirectory.from_config(alembic_config(engine))
    try:
        scripts.get_revision(revision)
    except Exception as exc:
        raise BackupError(
            f"this backup has schema revision {revision}, which this version of "
            "Adal does not know: restore it with the same or a newer Adal"
        ) from exc


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """Inserting explicit ids leaves PostgreSQL's sequences at 1; move them past the data."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1:
            continue
        seq = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name}
        ).scalar_one()
        if seq is None:
            continue
        top = conn.execute(select(func.max(pk[0])).select_from(table)).scalar_one()
        conn.execute(
            text("SELECT setval(:s, :v, :called)"),
            {"s": seq, "v": top or 1, "called": top is not None},
        )


def _insert_rows(
    conn: Connection, lines: Iterator[Any], header: dict[str, Any], summary: Summary
) -> None:
    meta = MetaData()
    meta.reflect(bind=conn)
    for name in header["tables"]:
        start = next(lines)
        if start.get("table") != name or name not in meta.tables:
            raise BackupError(f"the backup's table {name!r} does not match this schema")
        table = meta.tables[name]
        columns = start["columns"]
        batch: list[dict[str, Any]] = []
        size = 0
        count = 0
        for record in lines:
            if isinstance(record, dict):
                if record.get("end") != name or record.get("rows") != count + len(batch):
                    raise BackupError(f"the backup's table {name!r} is incomplete")
                break
            row = dict(zip(columns, (decode_value(v) for v in record), strict=True))
            batch.append(row)
            size += sum(len(v) for v in row.values() if isinstance(v, bytes))
            if len(batch) >= INSERT_BATCH_ROWS or size >= INSERT_BATCH_BYTES:
                conn.execute(table.insert(), batch)
                count += len(batch)
                batch, size = [], 0
        if batch:
            conn.execute(table.insert(), batch)
            count += len(batch)
        summary.tables[name] = count
    _reset_sequences(conn, [meta.tables[n] for n in header["tables"]])


def _write_files(instance_path: Path, files: list[dict[str, Any]]) -> None:
    instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(instance_path, 0o700)
    for record in files:
        target = (instance_path / record["file"]).resolve()
        if instance_path.resolve() not in target.parents:
            raise BackupError(f"the backup names a file outside the instance: {record['file']}")
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(base64.b64decode(record["data"]))


def restore(engine: Engine, instance_path: Path, backup_path: Path, passphrase: str) -> Summary:
    """Restore into an empty instance and database, or refuse before changing anything.

    Order: authenticate the whole file; check the target is empty; create the schema at the
    backup's revision; insert every row in one transaction; upgrade to the current schema;
    write the instance files last, so a failure never leaves a half-made instance behind.
    """
    with backup_path.open("rb") as src:
        verify_file(src, passphrase)
    with backup_path.open("rb") as src:
        lines = _lines(src, passphrase)
        header = next(lines)
        if header.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {header.get('format')!r}")
        revision = header["revision"]
        _known_revision(engine, revision)
        _check_empty(engine, instance_path, revision)
        summary = Summary(revision)
        files: list[dict[str, Any]] = []
        record = next(lines)
        while "file" in record:
            files.append(record)
            record = next(lines)
        if engine.dialect.name == "sqlite":
            instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
        upgrade(engine, revision)
        with engine.begin() as conn:
            _insert_rows(conn, itertools.chain([record], lines), header, summary)
            if next(lines).get("done") != summary.tables:
                raise BackupError("the backup's row counts do not match what was restored")
    upgrade(engine)
    _write_files(instance_path, files)
    summary.files = [f["file"] for f in files]
    factory = session_factory(engine)
    audit.install(factory, instance_path)
    with transaction(factory) as session:
        audit.append(
            session,
            "backup.restore",
            actor="cli",
            org_id=None,  # the whole installation: the platform's entry
            details={"revision": revision, "rows": summary.rows},
        )
    return summary
