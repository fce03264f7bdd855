"""The encrypted backup container: a passphrase-protected stream of any length.

A backup holds the instance secrets (secret.key decrypts TOTP seeds; portal.key signs the
portal's cookies; the salt and KDF parameters find every mailbox) and metadata that is plain
in the database (who works here, workflow times, the audit log). So the whole stream is
encrypted, not only the secrets: a copy of the backup file alone reveals its size and nothing
else.

Layout, version 1:

    b"adal-backup/v1\\n" (15) ‖ KdfParams.to_bytes() (10) ‖ salt (16) ‖ secretstream header (24)
    then frames: ciphertext length (u32, big-endian) ‖ secretstream ciphertext

The key is Argon2id(domain ‖ NFKC(passphrase), salt, params). Every frame carries the 65-byte
preamble as associated data, so the parameters cannot be swapped; secretstream makes dropped,
reordered or altered frames fail, and the last frame's TAG_FINAL makes a truncated file fail.
The first frame is small, so a wrong passphrase is refused before anything else is read.
"""

from __future__ import annotations

import secrets
import struct
import unicodedata
from collections.abc import Iterator
from typing import BinaryIO

import nacl.bindings as sodium
import nacl.exceptions
from argon2.low_level import Type, hash_secret_raw

from crypto.errors import FormatError
from crypto.kdf import PARAMS_SIZE, KdfParams

MAGIC = b"adal-backup/v1\n"
SALT_SIZE = 16
_SS_HEADER = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
PREAMBLE_SIZE = len(MAGIC) + PARAMS_SIZE + SALT_SIZE + _SS_HEADER
_DOMAIN = b"adal/backup-passphrase/v1\x00"
_FRAME = struct.Struct(">I")
ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
FRAME_SIZE = 1024 * 1024  # plaintext bytes per frame; bounds a reader's memory
MIN_PASSPHRASE = 12
# Stronger than the receipt KDF's default: a backup leaves the building, and is opened rarely.
DEFAULT_PARAMS = KdfParams(time_cost=3, memory_kib=256 * 1024)


class BackupError(Exception):
    """The backup cannot be opened: not a backup, damaged, truncated."""


class WrongPassphrase(BackupError):
    """The passphrase does not open this backup."""


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(f"the backup passphrase must have at least {MIN_PASSPHRASE} "
                          "characters; several unrelated words are best")


def _key(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    secret = _DOMAIN + unicodedata.normalize("NFKC", passphrase).encode()
    return hash_secret_raw(secret=secret, salt=salt, time_cost=params.time_cost,
                           memory_cost=params.memory_kib, parallelism=params.parallelism,
                           hash_len=32, type=Type.ID)


class BackupWriter:
    """Buffers plaintext into frames and writes them encrypted; `close` writes the final one."""

    def __init__(self, dst: BinaryIO, passphrase: str,
                 params: KdfParams = DEFAULT_PARAMS) -> None:
        check_passphrase(passphrase)
        salt = secrets.token_bytes(SALT_SIZE)
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        header = sodium.crypto_secretstream_xchacha20poly1305_init_push(
            self._state, _key(passphrase, salt, params))
        self._ad = MAGIC + params.to_bytes() + salt + header
        self._dst = dst
        self._buffer = bytearray()
        self.written = len(self._ad)
        dst.write(self._ad)
        # A tiny first frame: a reader checks the passphrase before reading any volume.
        self._frame(b"adal", TAG_MESSAGE)

    def _frame(self, plain: bytes, tag: int) -> None:
        sealed = sodium.crypto_secretstream_xchacha20poly1305_push(self._state, plain,
                                                                   self._ad, tag)
        self._dst.write(_FRAME.pack(len(sealed)) + sealed)
        self.written += _FRAME.size + len(sealed)

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= FRAME_SIZE:
            self._frame(bytes(self._buffer[:FRAME_SIZE]), TAG_MESSAGE)
            del self._buffer[:FRAME_SIZE]

    def close(self) -> None:
        self._frame(bytes(self._buffer), TAG_FINAL)
        self._buffer.clear()


def _read_exact(src: BinaryIO, size: int) -> bytes:
    data = b""
    while len(data) < size:
        more = src.read(size - len(data))
        if not more:
            break
        data += more
    return data


def open_stream(src: BinaryIO, passphrase: str) -> Iterator[bytes]:
    """Plaintext frames of a backup, in order; raises WrongPassphrase before the first yield.

    The iterator raises BackupError at a damaged frame or a missing end: a caller that must
    not act on a partial backup reads it to the end once before using it (see installation.backup).
    """
    preamble = _read_exact(src, PREAMBLE_SIZE)
    if len(preamble) != PREAMBLE_SIZE or not preamble.startswith(MAGIC):
        raise BackupError("this file is not an Adal backup")
    params_end = len(MAGIC) + PARAMS_SIZE
    try:
        params = KdfParams.from_bytes(preamble[len(MAGIC):params_end])
    except FormatError as exc:
        raise BackupError(f"the backup header is damaged: {exc}") from exc
    salt = preamble[params_end:params_end + SALT_SIZE]
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(
        state, preamble[params_end + SALT_SIZE:], _key(passphrase, salt, params))
    frames = _frames(src, state, preamble)
    first = next(frames, None)
    if first != b"adal":
        raise WrongPassphrase("the passphrase does not open this backup")
    return frames


def _frames(src: BinaryIO, state: object, ad: bytes) -> Iterator[bytes]:
    index = 0
    while True:
        raw_length = _read_exact(src, _FRAME.size)
        if len(raw_length) != _FRAME.size:
            raise BackupError("the backup is truncated: its last part is missing")
        (length,) = _FRAME.unpack(raw_length)
        if not ABYTES <= length <= FRAME_SIZE + ABYTES:
            raise BackupError("the backup is damaged (impossible frame length)")
        sealed = _read_exact(src, length)
        if len(sealed) != length and index > 0:
            raise BackupError("the backup is truncated: its last part is missing")
        try:
            plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, sealed, ad)
        except nacl.exceptions.CryptoError:
            if index == 0:
                yield b""  # open_stream turns this into WrongPassphrase
                return
            raise BackupError("the backup is damaged or was altered") from None
        index += 1
        yield plain
        if tag == TAG_FINAL:
            if src.read(1):
                raise BackupError("the backup has data after its end")
            return
