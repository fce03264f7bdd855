"""The instance folder: secrets, installation salt and KDF parameters of one installation.

The folder (``ADAL_INSTANCE``, default ``./instance``) is created with mode 0700 and every file in
it with 0600, because its secret key decrypts sessions and TOTP secrets.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from crypto.kdf import KdfParams

CONFIG_NAME = "adal.json"
SECRET_NAME = "secret.key"  # noqa: S105 - a file name, not a secret
DB_NAME = "adal.db"


class InstanceError(Exception):
    """The instance folder is missing, incomplete or already initialised."""


@dataclass(frozen=True)
class Instance:
    path: Path
    salt: bytes
    kdf: KdfParams
    secret_key: bytes
    recovery_key_id: str

    @property
    def default_database_url(self) -> str:
        return f"sqlite:///{self.path / DB_NAME}"

    @property
    def database_url(self) -> str:
        return os.environ.get("ADAL_DATABASE_URL") or self.default_database_url


def instance_path() -> Path:
    return Path(os.environ.get("ADAL_INSTANCE", "instance")).resolve()


def is_initialised(path: Path) -> bool:
    return (path / CONFIG_NAME).exists() or (path / SECRET_NAME).exists()


def _write_private(path: Path, data: bytes) -> None:
    # O_EXCL: an existing file is never overwritten; 0600 from the first byte.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def create(path: Path, kdf: KdfParams, salt: bytes, recovery_key_id: str) -> Instance:
    if is_initialised(path):
        raise InstanceError(f"{path} is already initialised; nothing was changed")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    secret_key = secrets.token_bytes(32)
    config = {
        "format": 1,
        "salt": base64.b64encode(salt).decode(),
        "kdf": kdf.to_dict(),
        "recovery_key_id": recovery_key_id,
    }
    _write_private(path / SECRET_NAME, secret_key)
    _write_private(path / CONFIG_NAME, json.dumps(config, indent=2).encode())
    return Instance(path, salt, kdf, secret_key, recovery_key_id)


def load(path: Path | None = None) -> Instance:
    path = path or instance_path()
    try:
        config = json.loads((path / CONFIG_NAME).read_text())
        secret_key = (path / SECRET_NAME).read_bytes()
    except FileNotFoundError as exc:
        raise InstanceError(f"{path} is not an Adal instance; run 'adal init' first") from exc
    except ValueError as exc:
        raise InstanceError(f"{path / CONFIG_NAME} is damaged: {exc}") from exc
    if len(secret_key) != 32:
        raise InstanceError(f"{path / SECRET_NAME} is damaged")
    return Instance(
        path=path,
        salt=base64.b64decode(config["salt"]),
        kdf=KdfParams.from_dict(config["kdf"]),
        secret_key=secret_key,
        recovery_key_id=config["recovery_key_id"],
    )


def write_private_file(path: Path, text: str) -> None:
    """Write a new 0600 file (demo credentials); refuses to overwrite."""
    _write_private(path, text.encode())
