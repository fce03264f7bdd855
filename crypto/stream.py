"""Files: an envelope whose body is a crypto_secretstream_xchacha20poly1305 stream.

Grants are exactly those of `crypto.envelope` (the data key is the secretstream key), so
`envelope.open_data_key` and `envelope.grant_for` work for files too.

Stream header, version 1 (29 bytes; stored with the file, e.g. a column of its envelope row):
    0x01 ‖ chunk size (u32, big-endian, plaintext bytes) ‖ secretstream header (24)

Chunks: every chunk is one secretstream message, a self-delimited unit a caller may store as a
row of its own. Each carries `ad = stream header ‖ aad`, so a chunk cannot move to another file
or context, and the chunk size cannot be altered. Every chunk but the last holds exactly
`chunk_size` plaintext bytes with TAG_MESSAGE; the last holds fewer (possibly zero) with
TAG_FINAL. secretstream's internal counter makes reordered, duplicated or dropped chunks fail,
and TAG_FINAL makes a truncated stream detectable: the decryptor refuses to finish without it and
refuses anything after it. A stream never opens as a shorter plaintext without an error.

Self-contained file (`encrypt_file` / `decrypt_file`):
    b"adal-file/v1\\n" ‖ stream header ‖ chunk ‖ chunk ‖ ... ‖ final chunk
Grants are returned to the caller and not written into the file. Memory use is one chunk at a
time, whatever the file size.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import BinaryIO

from crypto import secretstream
from crypto.envelope import DataKey, Grant, Recipient, grants_for, open_data_key
from crypto.errors import DecryptionError, FormatError
from crypto.keys import PrivateKey

CHUNK_SIZE = 64 * 1024
MIN_CHUNK_SIZE = 1
# Bounds what a stored header can make a reader allocate per chunk.
MAX_CHUNK_SIZE = 16 * 1024 * 1024

# Part of this format's spec, so named here too.
ABYTES = secretstream.ABYTES
TAG_MESSAGE = secretstream.TAG_MESSAGE
TAG_FINAL = secretstream.TAG_FINAL

STREAM_VERSION = 1
_HEADER_PREFIX = struct.Struct(">BI")
HEADER_SIZE = _HEADER_PREFIX.size + secretstream.HEADER_SIZE

FILE_MAGIC = b"adal-file/v1\n"


def _check_chunk_size(chunk_size: int) -> None:
    if type(chunk_size) is not int or not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk size must be between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE}")


def ciphertext_chunk_size(chunk_size: int = CHUNK_SIZE) -> int:
    """Bytes of a full (non-final) ciphertext chunk for a given plaintext chunk size."""
    _check_chunk_size(chunk_size)
    return chunk_size + ABYTES


def _check_aad(aad: bytes) -> None:
    if not isinstance(aad, bytes):
        raise TypeError("aad must be bytes")
    if not aad:
        raise ValueError("aad must name what the stream belongs to")


class StreamEncryptor:
    """Encrypts a file of any size into chunks, holding at most one chunk of plaintext."""

    def __init__(
        self, recipients: Sequence[Recipient], aad: bytes, chunk_size: int = CHUNK_SIZE
    ) -> None:
        _check_aad(aad)
        _check_chunk_size(chunk_size)
        data_key = DataKey.generate()
        self.grants: list[Grant] = grants_for(data_key, recipients)
        self.chunk_size = chunk_size
        self._pusher = secretstream.Pusher(data_key.expose_secret())
        self.header: bytes = _HEADER_PREFIX.pack(STREAM_VERSION, chunk_size) + self._pusher.header
        self._ad = self.header + aad
        self._buffer = bytearray()
        self._finalized = False

    def _push(self, plaintext: bytes, *, final: bool = False) -> bytes:
        return self._pusher.push(plaintext, self._ad, final=final)

    def update(self, data: bytes) -> list[bytes]:
        """Buffer `data`; return the chunks it completes (each exactly chunk_size plaintext).

        Memory follows the size of `data`: feed bounded pieces (a read, an upload part).
        """
        if self._finalized:
            raise ValueError("stream already finalised")
        size = self.chunk_size
        chunks: list[bytes] = []
        start = 0
        if self._buffer:
            start = size - len(self._buffer)
            self._buffer += data[:start]
            if len(self._buffer) < size:
                return chunks
            chunks.append(self._push(bytes(self._buffer)))
            self._buffer.clear()
        view = data if isinstance(data, bytes) else bytes(data)
        while len(view) - start >= size:
            # Slicing bytes copies once; push itself needs bytes, not a memoryview.
            chunks.append(self._push(view[start : start + size]))
            start += size
        self._buffer += view[start:]
        return chunks

    def finalize(self) -> bytes:
        """The last chunk (the buffered remainder, possibly empty) tagged TAG_FINAL."""
        if self._finalized:
            raise ValueError("stream already finalised")
        self._finalized = True
        last = self._push(bytes(self._buffer), final=True)
        self._buffer.clear()
        return last


def parse_header(header: bytes) -> int:
    """Check a stream header and return its chunk size; FormatError if malformed."""
    if not isinstance(header, bytes) or len(header) != HEADER_SIZE:
        raise FormatError("a stream header is 29 bytes")
    version, chunk_size = _HEADER_PREFIX.unpack(header[: _HEADER_PREFIX.size])
    if version != STREAM_VERSION:
        raise FormatError("unknown stream version")
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise FormatError("stream header has an impossible chunk size")
    return int(chunk_size)


class StreamDecryptor:
    """Decrypts one chunk at a time, in order. Any failure is final: the decryptor stays broken,
    so a caller cannot skip a bad chunk and carry on."""

    def __init__(self, header: bytes, data_key: DataKey, aad: bytes) -> None:
        _check_aad(aad)
        if isinstance(header, bytearray | memoryview):
            header = bytes(header)
        self.chunk_size = parse_header(header)
        self._max_chunk = self.chunk_size + ABYTES
        self._ad = header + aad
        self._puller = secretstream.Puller(header[_HEADER_PREFIX.size :], data_key.expose_secret())
        self._finished = False
        self._broken = False

    @property
    def finished(self) -> bool:
        """True once the TAG_FINAL chunk has been read and authenticated."""
        return self._finished

    def _fail(self, reason: str) -> DecryptionError:
        self._broken = True
        return DecryptionError(reason)

    def update(self, chunk: bytes) -> bytes:
        """Plaintext of the next chunk; DecryptionError if it is not the authentic next chunk."""
        if self._broken:
            raise DecryptionError("stream already failed")
        if self._finished:
            raise self._fail("data after the final chunk")
        if isinstance(chunk, bytearray | memoryview):
            chunk = bytes(chunk)
        if not isinstance(chunk, bytes):
            raise TypeError("chunk must be bytes")
        if not ABYTES <= len(chunk) <= self._max_chunk:
            raise self._fail("chunk is truncated or oversized")
        try:
            plaintext, final = self._puller.pull(chunk, self._ad)
        except DecryptionError as exc:
            raise self._fail(f"chunk refused: {exc}") from None
        if final:
            self._finished = True
        elif len(plaintext) != self.chunk_size:
            raise self._fail("short chunk before the final one")
        return plaintext

    def finalize(self) -> None:
        """DecryptionError unless the final chunk was seen: the stream is complete."""
        if self._broken:
            raise DecryptionError("stream already failed")
        if not self._finished:
            raise self._fail("stream is truncated: no final chunk")


def _read(src: BinaryIO, size: int) -> bytes:
    """Up to `size` bytes; fewer only at end of input (raw streams may return short reads)."""
    data = src.read(size)
    if data is None:
        raise ValueError("non-blocking sources are not supported")
    if len(data) == size or not data:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        more = src.read(size - got)
        if more is None:
            raise ValueError("non-blocking sources are not supported")
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def encrypt_file(
    src: BinaryIO,
    dst: BinaryIO,
    recipients: Sequence[Recipient],
    aad: bytes,
    chunk_size: int = CHUNK_SIZE,
) -> list[Grant]:
    """Encrypt `src` to `dst` as a self-contained file; return the grants to store."""
    encryptor = StreamEncryptor(recipients, aad, chunk_size)
    dst.write(FILE_MAGIC + encryptor.header)
    while data := _read(src, chunk_size):
        for chunk in encryptor.update(data):
            dst.write(chunk)
    dst.write(encryptor.finalize())
    return encryptor.grants


def decrypt_file(
    src: BinaryIO,
    dst: BinaryIO,
    private_key: PrivateKey,
    grants: Iterable[Grant],
    aad: bytes,
) -> int:
    """Decrypt a file made by `encrypt_file`; return the number of plaintext bytes written.

    Chunks are written as they authenticate, so on DecryptionError `dst` holds a prefix of the
    plaintext: the caller must discard it.
    """
    if _read(src, len(FILE_MAGIC)) != FILE_MAGIC:
        raise FormatError("not an Adal encrypted file")
    header = _read(src, HEADER_SIZE)
    parse_header(header)  # a malformed file is a FormatError before any key work
    decryptor = StreamDecryptor(header, open_data_key(grants, private_key), aad)
    full_chunk = decryptor.chunk_size + ABYTES
    written = 0
    while chunk := _read(src, full_chunk):
        plaintext = decryptor.update(chunk)
        dst.write(plaintext)
        written += len(plaintext)
        if decryptor.finished:
            if _read(src, 1):
                raise DecryptionError("data after the final chunk")
            break
    decryptor.finalize()
    return written
