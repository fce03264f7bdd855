"""The encrypted backup container: a passphrase-protected stream of any length.

A backup holds the instance secrets (secret.key decrypts TOTP seeds; portal.key signs the
portal's cookies; the salt and KDF parameters find every mailbox) and metadata that is plain
in the database (who works here, workflow times, the audit log). So the whole stream is
encrypted, not only the secrets: a copy of the backup file alone reveals its size and nothing
else.

Layout, version 1:

    b"adal-backup/v1\\n" (15) ‖ KdfParams.to_bytes() (10) ‖ salt (16) ‖ secretstream header (24)
    then frames: ciphertext length (u32, big-endian) ‖ secretstream ciphertext

The key is `crypto.kdf.derive_backup_key(passphrase, salt, params)` (Argon2id over a domain
string and the NFKC passphrase); the frames are `crypto.secretstream` messages. Every frame
carries the 65-byte preamble as associated data, so the parameters cannot be swapped;
secretstream makes dropped, reordered or altered frames fail, and the last frame's final tag
makes a truncated file fail. The first frame is small, so a wrong passphrase is refused before
anything else is read.
"""

from __future__ import annotations

import secrets
import struct
from collections.abc import Iterator
from typing import BinaryIO

from crypto import secretstream
from crypto.errors import DecryptionError, FormatError
from crypto.kdf import PARAMS_SIZE, KdfParams, derive_backup_key

MAGIC = b"adal-backup/v1\n"
SALT_SIZE = 16
PREAMBLE_SIZE = len(MAGIC) + PARAMS_SIZE + SALT_SIZE + secretstream.HEADER_SIZE
_FRAME = struct.Struct(">I")
ABYTES = secretstream.ABYTES
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
        raise BackupError(
            f"the backup passphrase must have at least {MIN_PASSPHRASE} "
            "characters; several unrelated words are best"
        )


class BackupWriter:
    """Buffers plaintext into frames and writes them encrypted; `close` writes the final one."""

    def __init__(self, dst: BinaryIO, passphrase: str, params: KdfParams = DEFAULT_PARAMS) -> None:
        check_passphrase(passphrase)
        salt = secrets.token_bytes(SALT_SIZE)
        self._pusher = secretstream.Pusher(derive_backup_key(passphrase, salt, params))
        self._ad = MAGIC + params.to_bytes() + salt + self._pusher.header
        self._dst = dst
        self._buffer = bytearray()
        self.written = len(self._ad)
        dst.write(self._ad)
        # A tiny first frame: a reader checks the passphrase before reading any volume.
        self._frame(b"adal")

    def _frame(self, plain: bytes, *, final: bool = False) -> None:
        sealed = self._pusher.push(plain, self._ad, final=final)
        self._dst.write(_FRAME.pack(len(sealed)) + sealed)
        self.written += _FRAME.size + len(sealed)

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= FRAME_SIZE:
            self._frame(bytes(self._buffer[:FRAME_SIZE]))
            del self._buffer[:FRAME_SIZE]

    def close(self) -> None:
        self._frame(bytes(self._buffer), final=True)
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
        params = KdfParams.from_bytes(preamble[len(MAGIC) : params_end])
    except FormatError as exc:
        raise BackupError(f"the backup header is damaged: {exc}") from exc
    salt = preamble[params_end : params_end + SALT_SIZE]
    puller = secretstream.Puller(
        preamble[params_end + SALT_SIZE :], derive_backup_key(passphrase, salt, params)
    )
    frames = _frames(src, puller, preamble)
    first = next(frames, None)
    if first != b"adal":
        raise WrongPassphrase("the passphrase does not open this backup")
    return frames


def _frames(src: BinaryIO, puller: secretstream.Puller, ad: bytes) -> Iterator[bytes]:
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
            plain, final = puller.pull(sealed, ad)
        except DecryptionError:
            if index == 0:
                yield b""  # open_stream turns this into WrongPassphrase
                return
            raise BackupError("the backup is damaged or was altered") from None
        index += 1
        yield plain
        if final:
            if src.read(1):
                raise BackupError("the backup has data after its end")
            return
