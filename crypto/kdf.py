"""Argon2id key derivation for receipt codes, staff passwords and backup passphrases.

Receipt: Argon2id(code, installation salt, params) → 32-byte master, from which BLAKE2b with two
personalisations derives
  * the lookup tag (stored, unique index: finds the case), and
  * the mailbox seed (never stored: the X25519 mailbox key pair comes from it).
The tag reveals nothing about the seed, so a database copy finds cases but opens no mailbox.

Password: Argon2id(password, per-blob salt, params) → 32-byte key that wraps a staff private key.

Backup passphrase: Argon2id(passphrase, per-file salt, params) → 32-byte secretstream key of an
encrypted backup (`installation.backupfile`).

Each kind of input is prefixed with its own domain string before Argon2id, so a receipt code, a
password and a passphrase can never produce the same key even under the same salt and parameters.

Parameters are versioned and stored (installation settings, wrapped-key blobs) so they can be
raised later without breaking what was derived before.
"""

from __future__ import annotations

import secrets
import struct
import unicodedata
from dataclasses import dataclass
from typing import Any

import nacl.hash
from argon2.low_level import Type, hash_secret_raw
from nacl.encoding import RawEncoder
from nacl.public import PrivateKey

from crypto import receipt
from crypto.errors import FormatError

KEY_SIZE = 32
SALT_SIZE = 16

_RECEIPT_DOMAIN = b"adal/receipt-code/v1\x00"
_PASSWORD_DOMAIN = b"adal/staff-password/v1\x00"
_BACKUP_DOMAIN = b"adal/backup-passphrase/v1\x00"
_LOOKUP_PERSON = b"adal-lookup-tag"
_MAILBOX_PERSON = b"adal-mbox-seed"

KNOWN_VERSIONS = frozenset({1})

# Lower bounds keep a misconfiguration from silently making codes cheap to guess (8 MiB, one
# pass is the weakest we accept, and only tests should use it). Upper bounds exist because
# parameters are read back from stored blobs: a forged blob must not make a login allocate 100 GiB.
MIN_TIME_COST, MAX_TIME_COST = 1, 64
MIN_MEMORY_KIB, MAX_MEMORY_KIB = 8 * 1024, 4 * 1024 * 1024
MIN_PARALLELISM, MAX_PARALLELISM = 1, 16

# version (u8), time_cost (u32), memory_kib (u32), parallelism (u8), big-endian.
_PARAMS_V1 = struct.Struct(">BIIB")
PARAMS_SIZE = _PARAMS_V1.size

_FIELDS = ("version", "time_cost", "memory_kib", "parallelism")


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost parameters. Every instance is valid: construction checks the bounds."""

    version: int = 1
    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 1

    def __post_init__(self) -> None:
        for name in _FIELDS:
            value = getattr(self, name)
            # bool is an int subclass; True as a cost is always a mistake.
            if type(value) is not int:
                raise FormatError(f"KDF {name} must be an integer")
        if self.version not in KNOWN_VERSIONS:
            raise FormatError("unknown KDF parameter version")
        _check_range("time_cost", self.time_cost, MIN_TIME_COST, MAX_TIME_COST)
        _check_range("memory_kib", self.memory_kib, MIN_MEMORY_KIB, MAX_MEMORY_KIB)
        _check_range("parallelism", self.parallelism, MIN_PARALLELISM, MAX_PARALLELISM)

    def to_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KdfParams:
        if not isinstance(data, dict):
            raise FormatError("KDF parameters must be a mapping")
        if set(data) != set(_FIELDS):
            # Unknown keys are refused rather than ignored: a typo in a settings file must not
            # quietly fall back to a default cost.
            raise FormatError("KDF parameters must have exactly: " + ", ".join(_FIELDS))
        return cls(**{name: data[name] for name in _FIELDS})

    def to_bytes(self) -> bytes:
        return _PARAMS_V1.pack(self.version, self.time_cost, self.memory_kib, self.parallelism)

    @classmethod
    def from_bytes(cls, data: bytes) -> KdfParams:
        if len(data) != PARAMS_SIZE:
            raise FormatError("KDF parameters have the wrong length")
        version, time_cost, memory_kib, parallelism = _PARAMS_V1.unpack(data)
        return cls(version, time_cost, memory_kib, parallelism)


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise FormatError(f"KDF {name} must be between {low} and {high}")


@dataclass(frozen=True, repr=False)
class ReceiptSecrets:
    """What a receipt code unlocks. repr hides both values: they must not reach a log."""

    lookup_tag: bytes
    mailbox_seed: bytes

    def __post_init__(self) -> None:
        for value in (self.lookup_tag, self.mailbox_seed):
            if not isinstance(value, bytes) or len(value) != KEY_SIZE:
                raise ValueError("receipt secrets are 32 bytes each")

    def __repr__(self) -> str:
        return "ReceiptSecrets(<redacted>)"


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_SIZE)


def _argon2id(secret: bytes, salt: bytes, params: KdfParams) -> bytes:
    if not isinstance(salt, bytes) or len(salt) < SALT_SIZE:
        raise ValueError(f"salt must be at least {SALT_SIZE} bytes")
    if not isinstance(params, KdfParams):
        raise TypeError("params must be KdfParams")
    return hash_secret_raw(
        secret=secret,
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=KEY_SIZE,
        type=Type.ID,
    )


def _subkey(master: bytes, person: bytes) -> bytes:
    return nacl.hash.blake2b(master, digest_size=KEY_SIZE, person=person, encoder=RawEncoder)


def derive_receipt_secrets(code: str, salt: bytes, params: KdfParams) -> ReceiptSecrets:
    """Lookup tag and mailbox seed of a receipt code.

    The code goes through `receipt.normalize` first, so formatted and plain forms of the same
    code derive the same secrets, and a typo fails fast with a ReceiptFormatError or
    ReceiptChecksumError before any Argon2 work.
    """
    digits = receipt.normalize(code)
    master = _argon2id(_RECEIPT_DOMAIN + digits.encode("ascii"), salt, params)
    return ReceiptSecrets(
        lookup_tag=_subkey(master, _LOOKUP_PERSON),
        mailbox_seed=_subkey(master, _MAILBOX_PERSON),
    )


def mailbox_private_key(seed: bytes) -> PrivateKey:
    if not isinstance(seed, bytes) or len(seed) != KEY_SIZE:
        raise ValueError("a mailbox seed is 32 bytes")
    return PrivateKey.from_seed(seed)


def derive_wrapping_key(password: str, salt: bytes, params: KdfParams) -> bytes:
    """32-byte key for wrapping a staff private key.

    NFKC first (NIST SP 800-63B): the same password typed on another keyboard or OS, composed or
    decomposed, full-width or not, must unwrap the same key.
    """
    if not isinstance(password, str) or not password:
        raise ValueError("password must be a non-empty string")
    normalised = unicodedata.normalize("NFKC", password).encode("utf-8")
    return _argon2id(_PASSWORD_DOMAIN + normalised, salt, params)


def derive_backup_key(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    """32-byte key of an encrypted backup, NFKC-normalised like a password.

    Unlike a password, an empty passphrase is not refused here: a reader must answer it with
    "wrong passphrase", and the backup's writer enforces its own minimum length.
    """
    if not isinstance(passphrase, str):
        raise TypeError("passphrase must be a string")
    normalised = unicodedata.normalize("NFKC", passphrase).encode("utf-8")
    return _argon2id(_BACKUP_DOMAIN + normalised, salt, params)
