"""`adal backup FILE` and `adal restore FILE` (installation.backup, installation.backupfile).

The passphrase comes from ADAL_BACKUP_PASSPHRASE (automation, tests) or a hidden prompt; it is
never a command-line argument, which other users of the machine could read in `ps`.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from adal_cli.context import load_context
from crypto.kdf import KdfParams
from installation import backup
from installation import instance as inst
from installation.backupfile import DEFAULT_PARAMS, BackupError, check_passphrase
from store import audit
from store.db import make_engine, transaction

PASSPHRASE_ENV = "ADAL_BACKUP_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret


def _passphrase(confirm: bool) -> str:
    value = os.environ.get(PASSPHRASE_ENV)
    if value is None:
        value = click.prompt("Backup passphrase", hide_input=True, confirmation_prompt=confirm)
    return value


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option(
    "--kdf-time-cost",
    type=click.IntRange(1, 64),
    default=DEFAULT_PARAMS.time_cost,
    show_default=True,
    help="Argon2id passes for the passphrase.",
)
@click.option(
    "--kdf-memory-kib",
    type=click.IntRange(8192, 4 * 1024 * 1024),
    default=DEFAULT_PARAMS.memory_kib,
    show_default=True,
    help="Argon2id memory in KiB (lower it only for tests).",
)
def backup_command(file: Path, kdf_time_cost: int, kdf_memory_kib: int) -> None:
    """Write an encrypted backup of the database and the instance folder to FILE."""
    ctx = load_context()
    passphrase = _passphrase(confirm=True)
    try:
        check_passphrase(passphrase)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        # O_EXCL: never overwrite an earlier backup; 0600 from the first byte.
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.ClickException(f"{file} exists; choose a new file name") from None
    try:
        with os.fdopen(fd, "wb") as dst:
            # Recorded first, so the backup itself shows that it was made.
            with transaction(ctx.sessions) as session:
                audit.append(session, "backup.create", actor="cli", org_id=None)
            summary = backup.dump(
                ctx.engine,
                ctx.instance.path,
                dst,
                passphrase,
                params=KdfParams(time_cost=kdf_time_cost, memory_kib=kdf_memory_kib),
            )
            dst.flush()
            os.fsync(dst.fileno())
    except BaseException:
        file.unlink(missing_ok=True)  # a partial backup must not look like one
        raise
    click.echo(
        f"Backup written: {file} ({summary.bytes_written / 2**20:.1f} MiB; "
        f"{summary.rows} rows in {len(summary.tables)} tables; "
        f"{len(summary.files)} instance files; schema {summary.revision})."
    )
    click.echo("Keep the passphrase apart from the file: without it nothing can be restored.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(file: Path) -> None:
    """Restore FILE into an empty instance (ADAL_INSTANCE) and an empty database."""
    path = inst.instance_path()
    url = os.environ.get("ADAL_DATABASE_URL") or f"sqlite:///{path / inst.DB_NAME}"
    passphrase = _passphrase(confirm=False)
    engine = make_engine(url)
    try:
        summary = backup.restore(engine, path, file, passphrase)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(
        f"Restored {summary.rows} rows in {len(summary.tables)} tables and "
        f"{len(summary.files)} instance files into {path} (schema {summary.revision}, "
        "now upgraded to the current one)."
    )
    click.echo("Check it with 'adal audit verify'.")
