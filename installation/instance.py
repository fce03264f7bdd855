"""The instance folder: secrets, installation salt and KDF parameters of one installation.

The folder (``ADAL_INSTANCE``, default ``./instance``) is created with mode 0700 and every file in
it with 0600. It holds two keys with different reach:

* ``secret.key`` seals every staff TOTP seed and signs the back office's sessions. It stays on
  the back-office host.
* ``portal.key`` signs only the portal's cookies and CSRF tokens. It is the one key the
  internet-facing portal host gets (with ``adal.json``), so taking that host yields nothing that
  opens a staff account.

`load()` is the back office's and the CLI's view (both keys); `load_portal()` is the portal's and
never opens secret.key.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crypto.errors import FormatError
from crypto.kdf import KdfParams

CONFIG_NAME = "adal.json"
SECRET_NAME = "secret.key"  # noqa: S105 - a file name, not a secret
PORTAL_KEY_NAME = "portal.key"
DB_NAME = "adal.db"
KEY_SIZE = 32
# What an operator copies to the portal host (README, Deployment); never secret.key.
PORTAL_FILES = (CONFIG_NAME, PORTAL_KEY_NAME)


class InstanceError(Exception):
    """The instance folder is missing, incomplete or already initialised."""


@dataclass(frozen=True)
class Instance:
    path: Path
    salt: bytes
    kdf: KdfParams
    recovery_key_id: str
    portal_key: bytes = field(repr=False)
    # None when loaded for the portal: the portal host has no secret.key (see `secret_key`).
    back_office_key: bytes | None = field(default=None, repr=False)

    @property
    def secret_key(self) -> bytes:
        """secret.key; only an instance from `load()` or `create()` has it."""
        if self.back_office_key is None:
            raise InstanceError(
                f"{self.path} was loaded for the portal, which never holds "
                f"{SECRET_NAME}; this needs the back-office instance"
            )
        return self.back_office_key

    @property
    def default_database_url(self) -> str:
        return f"sqlite:///{self.path / DB_NAME}"

    @property
    def database_url(self) -> str:
        return os.environ.get("ADAL_DATABASE_URL") or self.default_database_url


def instance_path() -> Path:
    return Path(os.environ.get("ADAL_INSTANCE", "instance")).resolve()


def is_initialised(path: Path) -> bool:
    return any((path / name).exists() for name in (CONFIG_NAME, SECRET_NAME, PORTAL_KEY_NAME))


def _write_private(path: Path, data: bytes) -> None:
    # O_EXCL: an existing file is never overwritten; 0600 from the first byte.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _write_key_once(path: Path) -> bytes:
    """A new random key at `path`, or the one another process put there first.

    The key is written under a temporary name and linked into place: `path` never exists
    half-written, so several back-office processes upgrading one instance at once (gunicorn
    workers, a CLI command) all end up with the same complete key.
    """
    key = secrets.token_bytes(KEY_SIZE)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(key)
            f.flush()
            os.fsync(f.fileno())  # a crash must not leave an empty key linked into place
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _read_key(path)
    finally:
        temporary.unlink(missing_ok=True)
    return key


def create(path: Path, kdf: KdfParams, salt: bytes, recovery_key_id: str) -> Instance:
    if is_initialised(path):
        raise InstanceError(f"{path} is already initialised; nothing was changed")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    secret_key = secrets.token_bytes(KEY_SIZE)
    config = {
        "format": 1,
        "salt": base64.b64encode(salt).decode(),
        "kdf": kdf.to_dict(),
        "recovery_key_id": recovery_key_id,
    }
    _write_private(path / SECRET_NAME, secret_key)
    portal_key = _write_key_once(path / PORTAL_KEY_NAME)
    # adal.json last: it is what marks a folder as an instance for load().
    _write_private(path / CONFIG_NAME, json.dumps(config, indent=2).encode())
    return Instance(
        path=path,
        salt=salt,
        kdf=kdf,
        recovery_key_id=recovery_key_id,
        portal_key=portal_key,
        back_office_key=secret_key,
    )


def _read_config(path: Path, missing: str) -> dict[str, Any]:
    try:
        config: dict[str, Any] = json.loads((path / CONFIG_NAME).read_text())
    except FileNotFoundError as exc:
        raise InstanceError(missing) from exc
    except OSError as exc:
        raise InstanceError(f"cannot read {path / CONFIG_NAME}: {exc.strerror}") from exc
    except ValueError as exc:
        raise InstanceError(f"{path / CONFIG_NAME} is damaged: {exc}") from exc
    return config


def _read_key(path: Path) -> bytes:
    """A key file's 32 bytes; FileNotFoundError is left to the caller, which knows the fix."""
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise InstanceError(f"cannot read {path}: {exc.strerror}") from exc
    if len(key) != KEY_SIZE:
        raise InstanceError(f"{path} is damaged")
    return key


def _instance(
    path: Path, config: dict[str, Any], portal_key: bytes, back_office_key: bytes | None
) -> Instance:
    try:
        return Instance(
            path=path,
            salt=base64.b64decode(config["salt"]),
            kdf=KdfParams.from_dict(config["kdf"]),
            recovery_key_id=config["recovery_key_id"],
            portal_key=portal_key,
            back_office_key=back_office_key,
        )
    except (KeyError, TypeError, ValueError, FormatError) as exc:
        raise InstanceError(f"{path / CONFIG_NAME} is damaged: {exc!r}") from exc


def _portal_key_for_back_office(path: Path) -> bytes:
    # Instances made before portal.key existed get it here, once: the back office and the CLI
    # run where the folder is writable, so an upgrade needs no manual step.
    try:
        return _read_key(path / PORTAL_KEY_NAME)
    except FileNotFoundError:
        pass
    try:
        return _write_key_once(path / PORTAL_KEY_NAME)
    except OSError as exc:
        raise InstanceError(
            f"{path / PORTAL_KEY_NAME} is missing and cannot be created "
            f"({exc.strerror}); run any 'adal' command once as the user who "
            "owns the instance folder"
        ) from exc


def load(path: Path | None = None) -> Instance:
    """The back office's and the CLI's instance: adal.json, secret.key and portal.key."""
    path = path or instance_path()
    config = _read_config(path, f"{path} is not an Adal instance; run 'adal init' first")
    try:
        secret_key = _read_key(path / SECRET_NAME)
    except FileNotFoundError as exc:
        # adal.json without secret.key is what the portal host holds.
        raise InstanceError(
            f"{path} has no {SECRET_NAME}: it is a portal-only instance "
            "folder; back-office commands run on the back-office host"
        ) from exc
    return _instance(path, config, _portal_key_for_back_office(path), secret_key)


def load_portal(path: Path | None = None) -> Instance:
    """The portal's instance: adal.json and portal.key only. secret.key is never opened."""
    path = path or instance_path()
    copy = f"copy {' and '.join(PORTAL_FILES)} (only these) from the back-office instance"
    config = _read_config(
        path, f"{path} has no {CONFIG_NAME}: run 'adal init' on the back-office host, then {copy}"
    )
    try:
        portal_key = _read_key(path / PORTAL_KEY_NAME)
    except FileNotFoundError as exc:
        raise InstanceError(
            f"{path} has no {PORTAL_KEY_NAME}. An instance made before it existed gets one the "
            f"next time any 'adal' command (e.g. 'adal db upgrade') or the back office runs on "
            f"the back-office host; then {copy}. Never copy {SECRET_NAME} here"
        ) from exc
    return _instance(path, config, portal_key, None)


def write_private_file(path: Path, text: str) -> None:
    """Write a new 0600 file (demo credentials); refuses to overwrite."""
    _write_private(path, text.encode())
