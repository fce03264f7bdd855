from __future__ import annotations

import io
import itertools
import os
import struct

import nacl.bindings as sodium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.public import PrivateKey

from crypto import envelope, keys, stream
from crypto.envelope import DataKey, Grant
from crypto.errors import DecryptionError, FormatError
from crypto.stream import StreamDecryptor, StreamEncryptor

AAD = b"adal:attachment:42"
OTHER_AAD = b"adal:attachment:43"
SMALL = 16  # a tiny chunk size makes multi-chunk streams cheap to build and to break
ABYTES = stream.ABYTES


def _encrypt(
    recipient: PrivateKey, data: bytes, chunk_size: int = SMALL, aad: bytes = AAD
) -> tuple[bytes, list[bytes], list[Grant]]:
    encryptor = StreamEncryptor([recipient.public_key], aad, chunk_size)
    chunks = encryptor.update(data)
    chunks.append(encryptor.finalize())
    return encryptor.header, chunks, encryptor.grants


def _decryptor(
    recipient: PrivateKey, header: bytes, grants: list[Grant], aad: bytes = AAD
) -> StreamDecryptor:
    return StreamDecryptor(header, envelope.open_data_key(grants, recipient), aad)


def _decrypt(
    recipient: PrivateKey,
    header: bytes,
    chunks: list[bytes],
    grants: list[Grant],
    aad: bytes = AAD,
) -> bytes:
    decryptor = _decryptor(recipient, header, grants, aad)
    plaintext = b"".join(decryptor.update(chunk) for chunk in chunks)
    decryptor.finalize()
    return plaintext


def _flip(data: bytes, index: int, bit: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ (1 << bit)]) + data[index + 1 :]


# --- chunked API ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, SMALL - 1, SMALL, SMALL + 1, 2 * SMALL, 5 * SMALL + 3])
def test_round_trip_and_chunk_layout(alice: PrivateKey, size: int) -> None:
    data = os.urandom(size)
    header, chunks, grants = _encrypt(alice, data)
    assert len(chunks) == size // SMALL + 1
    assert all(len(chunk) == SMALL + ABYTES for chunk in chunks[:-1])
    assert len(chunks[-1]) == size % SMALL + ABYTES
    assert _decrypt(alice, header, chunks, grants) == data


def test_header_layout(alice: PrivateKey) -> None:
    encryptor = StreamEncryptor([alice.public_key], AAD, 1000)
    assert len(encryptor.header) == stream.HEADER_SIZE == 29
    assert encryptor.header[0] == 1
    assert struct.unpack(">I", encryptor.header[1:5]) == (1000,)
    assert stream.parse_header(encryptor.header) == 1000
    assert encryptor.chunk_size == 1000


def test_default_chunk_size() -> None:
    assert stream.CHUNK_SIZE == 64 * 1024
    assert stream.ciphertext_chunk_size() == 64 * 1024 + 17
    assert stream.ciphertext_chunk_size(SMALL) == SMALL + 17


@pytest.mark.parametrize("bad", [0, -1, stream.MAX_CHUNK_SIZE + 1, 1.5, "16"])
def test_impossible_chunk_sizes_are_refused(alice: PrivateKey, bad: object) -> None:
    with pytest.raises(ValueError):
        stream.ciphertext_chunk_size(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        StreamEncryptor([alice.public_key], AAD, bad)  # type: ignore[arg-type]


def test_default_chunk_size_round_trip(alice: PrivateKey) -> None:
    data = os.urandom(3 * stream.CHUNK_SIZE + 12345)
    encryptor = StreamEncryptor([alice.public_key], AAD)
    chunks = encryptor.update(data)
    chunks.append(encryptor.finalize())
    assert [len(c) for c in chunks] == [stream.CHUNK_SIZE + 17] * 3 + [12345 + 17]
    assert _decrypt(alice, encryptor.header, chunks, encryptor.grants) == data


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=300),
    chunk_size=st.integers(min_value=1, max_value=40),
    cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=8),
)
def test_any_way_of_feeding_update_gives_the_same_chunks(
    data: bytes, chunk_size: int, cuts: list[int]
) -> None:
    recipient = PrivateKey.generate()
    encryptor = StreamEncryptor([recipient.public_key], AAD, chunk_size)
    bounds = sorted({0, len(data), *(c for c in cuts if c <= len(data))})
    chunks: list[bytes] = []
    for start, end in itertools.pairwise(bounds):
        piece = data[start:end]
        chunks.extend(encryptor.update(piece if start % 2 else memoryview(piece)))
    chunks.append(encryptor.finalize())
    assert len(chunks) == len(data) // chunk_size + 1
    assert all(len(c) == chunk_size + ABYTES for c in chunks[:-1])
    decryptor = _decryptor(recipient, encryptor.header, encryptor.grants)
    pieces = [decryptor.update(c) for c in chunks]
    decryptor.finalize()
    assert all(len(p) == chunk_size for p in pieces[:-1])
    assert b"".join(pieces) == data


def test_update_completes_a_buffered_chunk(alice: PrivateKey) -> None:
    encryptor = StreamEncryptor([alice.public_key], AAD, SMALL)
    assert encryptor.update(b"a" * 5) == []
    assert encryptor.update(b"b" * 5) == []
    chunks = encryptor.update(b"c" * (2 * SMALL))  # fills the buffer, then one more full chunk
    assert len(chunks) == 2
    chunks.append(encryptor.finalize())
    plaintext = _decrypt(alice, encryptor.header, chunks, encryptor.grants)
    assert plaintext == b"a" * 5 + b"b" * 5 + b"c" * (2 * SMALL)


def test_update_accepts_bytearray_and_empty_input(alice: PrivateKey) -> None:
    encryptor = StreamEncryptor([alice.public_key], AAD, SMALL)
    assert encryptor.update(b"") == []
    chunks = encryptor.update(bytearray(b"x" * (SMALL + 1)))
    chunks.append(encryptor.finalize())
    assert _decrypt(alice, encryptor.header, chunks, encryptor.grants) == b"x" * (SMALL + 1)


def test_encryptor_cannot_be_used_after_finalize(alice: PrivateKey) -> None:
    encryptor = StreamEncryptor([alice.public_key], AAD, SMALL)
    encryptor.finalize()
    with pytest.raises(ValueError):
        encryptor.update(b"more")
    with pytest.raises(ValueError):
        encryptor.finalize()


def test_encryptor_grants_every_distinct_recipient(
    alice: PrivateKey, bob: PrivateKey, mallory: PrivateKey
) -> None:
    encryptor = StreamEncryptor([alice.public_key, bytes(bob.public_key), alice.public_key], AAD)
    assert [g.recipient_id for g in encryptor.grants] == [
        keys.key_id(alice.public_key),
        keys.key_id(bob.public_key),
    ]
    chunks = [encryptor.finalize()]
    for key in (alice, bob):
        assert _decrypt(key, encryptor.header, chunks, encryptor.grants) == b""
    with pytest.raises(DecryptionError):
        envelope.open_data_key(encryptor.grants, mallory)


def test_encryptor_checks_its_arguments(alice: PrivateKey) -> None:
    with pytest.raises(ValueError):
        StreamEncryptor([], AAD)
    with pytest.raises(ValueError):
        StreamEncryptor([alice.public_key], b"")
    with pytest.raises(TypeError):
        StreamEncryptor([alice.public_key], "adal:attachment:42")  # type: ignore[arg-type]


def test_each_stream_has_its_own_key_and_header(alice: PrivateKey) -> None:
    first, second = (StreamEncryptor([alice.public_key], AAD) for _ in range(2))
    assert first.header != second.header
    assert envelope.open_data_key(first.grants, alice) != envelope.open_data_key(
        second.grants, alice
    )


# --- failures ------------------------------------------------------------------------------


def test_a_wrong_key_does_not_open(alice: PrivateKey, mallory: PrivateKey) -> None:
    header, chunks, grants = _encrypt(alice, b"x" * 40)
    with pytest.raises(DecryptionError):
        envelope.open_data_key(grants, mallory)
    decryptor = StreamDecryptor(header, DataKey.generate(), AAD)
    with pytest.raises(DecryptionError):
        decryptor.update(chunks[0])


def test_swapped_associated_data_is_detected(alice: PrivateKey) -> None:
    header, chunks, grants = _encrypt(alice, b"x" * 40)
    for aad in (OTHER_AAD, AAD + b"\x00", AAD[:-1]):
        decryptor = _decryptor(alice, header, grants, aad)
        with pytest.raises(DecryptionError):
            decryptor.update(chunks[0])


def _assert_refused(decryptor: StreamDecryptor, chunks: list[bytes]) -> None:
    """Feeding `chunks` in this order must fail authentication at one of them."""
    with pytest.raises(DecryptionError):
        for chunk in chunks:
            decryptor.update(chunk)


def test_every_flipped_bit_in_every_chunk_is_detected(alice: PrivateKey) -> None:
    header, chunks, grants = _encrypt(alice, os.urandom(2 * SMALL + 5))
    for which, chunk in enumerate(chunks):
        for index in range(len(chunk)):
            damaged = [*chunks]
            damaged[which] = _flip(chunk, index, index % 8)
            _assert_refused(_decryptor(alice, header, grants), damaged)


def test_a_flipped_bit_in_the_header_is_detected(alice: PrivateKey) -> None:
    header, chunks, grants = _encrypt(alice, os.urandom(2 * SMALL + 5))
    for index in range(5, len(header)):  # the secretstream header
        decryptor = _decryptor(alice, _flip(header, index), grants)
        with pytest.raises(DecryptionError):
            decryptor.update(chunks[0])
    with pytest.raises(FormatError):
        _decryptor(alice, _flip(header, 0), grants)  # version


def test_a_changed_chunk_size_in_the_header_is_detected(alice: PrivateKey) -> None:
    header, chunks, grants = _encrypt(alice, os.urandom(2 * SMALL + 5))
    for chunk_size in (SMALL - 1, SMALL + 1, 2 * SMALL):
        forged = header[:1] + struct.pack(">I", chunk_size) + header[5:]
        decryptor = _decryptor(alice, forged, grants)
        with pytest.raises(DecryptionError):
            decryptor.update(chunks[0])


@pytest.mark.parametrize(
    "header",
    [
        b"",
        bytes(28),
        bytes(30),
        b"\x02" + bytes(28),
        b"\x01" + bytes(28),
        b"\x01" + struct.pack(">I", stream.MAX_CHUNK_SIZE + 1) + bytes(24),
    ],
)
def test_malformed_headers_are_format_errors(header: bytes) -> None:
    with pytest.raises(FormatError):
        StreamDecryptor(header, DataKey.generate(), AAD)
    with pytest.raises(FormatError):
        stream.parse_header(header)


def test_a_truncated_stream_is_detected(alice: PrivateKey) -> None:
    data = os.urandom(4 * SMALL)  # 4 full chunks and an empty final one
    header, chunks, grants = _encrypt(alice, data)
    assert len(chunks) == 5
    for keep in range(len(chunks)):
        decryptor = _decryptor(alice, header, grants)
        plaintext = b"".join(decryptor.update(chunk) for chunk in chunks[:keep])
        assert plaintext == data[: keep * SMALL]
        assert not decryptor.finished
        with pytest.raises(DecryptionError):
            decryptor.finalize()


def test_a_truncated_chunk_is_detected(alice: PrivateKey) -> None:
    header, chunks, grants = _encrypt(alice, os.urandom(2 * SMALL + 5))
    for which in range(len(chunks)):
        for length in (0, 1, ABYTES - 1, ABYTES, len(chunks[which]) - 1):
            decryptor = _decryptor(alice, header, grants)
            with pytest.raises(DecryptionError):
                for chunk in chunks[:which]:
                    decryptor.update(chunk)
                decryptor.update(chunks[which][:length])
                decryptor.finalize()


def test_a_reordered_stream_is_detected(alice: PrivateKey) -> None:
    header, chunks, grants = _encrypt(alice, os.urandom(3 * SMALL + 5))
    orders = [[1, 0, 2, 3], [0, 2, 1, 3], [0, 1, 3, 2], [3, 2, 1, 0]]
    for order in orders:
        _assert_refused(_decryptor(alice, header, grants), [chunks[index] for index in order])


def test_a_duplicated_chunk_is_detected(alice: PrivateKey) -> None:
    header, chunks, grants = _encrypt(alice, os.urandom(3 * SMALL + 5))
    for index in range(len(chunks) - 1):
        duplicated = [*chunks[: index + 1], chunks[index], *chunks[index + 1 :]]
        _assert_refused(_decryptor(alice, header, grants), duplicated)


def test_a_dropped_middle_chunk_is_detected(alice: PrivateKey) -> None:
    header, chunks, grants = _encrypt(alice, os.urandom(3 * SMALL + 5))
    decryptor = _decryptor(alice, header, grants)
    decryptor.update(chunks[0])
    with pytest.raises(DecryptionError):
        decryptor.update(chunks[2])


def test_data_after_the_final_chunk_is_detected(alice: PrivateKey) -> None:
    header, chunks, grants = _encrypt(alice, os.urandom(SMALL + 5))
    for extra in (chunks[-1], chunks[0], b"", b"\x00" * (SMALL + ABYTES)):
        decryptor = _decryptor(alice, header, grants)
        for chunk in chunks:
            decryptor.update(chunk)
        assert decryptor.finished
        with pytest.raises(DecryptionError):
            decryptor.update(extra)


def test_chunks_cannot_move_between_streams(alice: PrivateKey) -> None:
    header_a, chunks_a, grants_a = _encrypt(alice, b"a" * (2 * SMALL))
    _header_b, chunks_b, _grants_b = _encrypt(alice, b"b" * (2 * SMALL))
    decryptor = _decryptor(alice, header_a, grants_a)
    decryptor.update(chunks_a[0])
    with pytest.raises(DecryptionError):
        decryptor.update(chunks_b[1])


def test_a_failed_decryptor_stays_failed(alice: PrivateKey) -> None:
    header, chunks, grants = _encrypt(alice, os.urandom(2 * SMALL + 5))
    decryptor = _decryptor(alice, header, grants)
    with pytest.raises(DecryptionError):
        decryptor.update(_flip(chunks[0], 3))
    # Even the genuine chunk is refused now: a caller cannot skip a bad chunk and carry on.
    with pytest.raises(DecryptionError):
        decryptor.update(chunks[0])
    with pytest.raises(DecryptionError):
        decryptor.finalize()


def test_oversized_and_non_bytes_chunks(alice: PrivateKey) -> None:
    header, chunks, grants = _encrypt(alice, os.urandom(2 * SMALL))
    decryptor = _decryptor(alice, header, grants)
    with pytest.raises(DecryptionError):
        decryptor.update(chunks[0] + b"\x00")
    decryptor = _decryptor(alice, header, grants)
    with pytest.raises(TypeError):
        decryptor.update("text")  # type: ignore[arg-type]
    decryptor = _decryptor(alice, header, grants)
    assert (
        decryptor.update(memoryview(chunks[0])) == _decrypt(alice, header, chunks, grants)[:SMALL]
    )


def test_header_and_grants_from_a_bytes_like_row(alice: PrivateKey) -> None:
    header, chunks, grants = _encrypt(alice, b"row")
    decryptor = StreamDecryptor(
        memoryview(header),  # type: ignore[arg-type]
        envelope.open_data_key(grants, alice),
        AAD,
    )
    assert decryptor.update(bytearray(chunks[0])) == b"row"  # type: ignore[arg-type]
    decryptor.finalize()


def test_finalize_is_idempotent_after_success(alice: PrivateKey) -> None:
    header, chunks, grants = _encrypt(alice, b"abc")
    decryptor = _decryptor(alice, header, grants)
    decryptor.update(chunks[0])
    decryptor.finalize()
    decryptor.finalize()


def test_a_grant_for_a_new_recipient_opens_a_stream(alice: PrivateKey, bob: PrivateKey) -> None:
    header, chunks, grants = _encrypt(alice, b"evidence" * 10)
    grant = envelope.grant_for(envelope.open_data_key(grants, alice), bob.public_key)
    assert _decrypt(bob, header, chunks, [*grants, grant]) == b"evidence" * 10


# --- files ---------------------------------------------------------------------------------


class _TrickleReader(io.RawIOBase):
    """A source that returns at most a few bytes per read, like a pipe or a socket."""

    def __init__(self, data: bytes, step: int = 7) -> None:
        self._data = memoryview(data)
        self._step = step
        self.largest_request = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.largest_request = max(self.largest_request, size)
        piece = bytes(self._data[: min(size, self._step)])
        self._data = self._data[len(piece) :]
        return piece


class _RecordingWriter(io.RawIOBase):
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.parts.append(bytes(data))
        return len(data)


def _encrypt_file(
    recipient: PrivateKey, data: bytes, chunk_size: int = SMALL
) -> tuple[bytes, list[Grant]]:
    dst = io.BytesIO()
    grants = stream.encrypt_file(io.BytesIO(data), dst, [recipient.public_key], AAD, chunk_size)
    return dst.getvalue(), grants


def _decrypt_file(
    recipient: PrivateKey, blob: bytes, grants: list[Grant], aad: bytes = AAD
) -> bytes:
    dst = io.BytesIO()
    written = stream.decrypt_file(io.BytesIO(blob), dst, recipient, grants, aad)
    assert written == len(dst.getvalue())
    return dst.getvalue()


@pytest.mark.parametrize("size", [0, 1, SMALL - 1, SMALL, SMALL + 1, 3 * SMALL, 3 * SMALL + 5])
def test_file_round_trip(alice: PrivateKey, size: int) -> None:
    data = os.urandom(size)
    blob, grants = _encrypt_file(alice, data)
    assert blob.startswith(stream.FILE_MAGIC)
    chunk_count = size // SMALL + 1
    assert len(blob) == len(stream.FILE_MAGIC) + stream.HEADER_SIZE + size + chunk_count * ABYTES
    assert _decrypt_file(alice, blob, grants) == data


def test_an_empty_file(alice: PrivateKey) -> None:
    blob, grants = _encrypt_file(alice, b"")
    assert len(blob) == len(stream.FILE_MAGIC) + stream.HEADER_SIZE + ABYTES
    assert _decrypt_file(alice, blob, grants) == b""


def test_a_file_of_exactly_whole_chunks(alice: PrivateKey) -> None:
    data = os.urandom(4 * SMALL)
    blob, grants = _encrypt_file(alice, data)
    # Four full chunks and an empty final chunk, which is what marks the end.
    assert len(blob) == len(stream.FILE_MAGIC) + stream.HEADER_SIZE + 4 * SMALL + 5 * ABYTES
    assert _decrypt_file(alice, blob, grants) == data
    # Without the empty final chunk it is a truncated file, not a complete one.
    with pytest.raises(DecryptionError):
        _decrypt_file(alice, blob[:-ABYTES], grants)


def test_file_with_the_default_chunk_size(alice: PrivateKey) -> None:
    data = os.urandom(2 * stream.CHUNK_SIZE + 1)
    dst = io.BytesIO()
    grants = stream.encrypt_file(io.BytesIO(data), dst, [alice.public_key], AAD)
    assert _decrypt_file(alice, dst.getvalue(), grants) == data


def test_files_are_read_and_written_a_chunk_at_a_time(alice: PrivateKey) -> None:
    data = os.urandom(10 * SMALL + 3)
    src = _TrickleReader(data, step=5)
    sink = _RecordingWriter()
    grants = stream.encrypt_file(src, sink, [alice.public_key], AAD, SMALL)  # type: ignore[arg-type]
    assert src.largest_request <= SMALL
    assert max(len(part) for part in sink.parts[1:]) <= SMALL + ABYTES
    blob = b"".join(sink.parts)

    trickle = _TrickleReader(blob, step=3)
    out = _RecordingWriter()
    written = stream.decrypt_file(trickle, out, alice, grants, AAD)  # type: ignore[arg-type]
    assert written == len(data)
    assert b"".join(out.parts) == data
    assert trickle.largest_request <= SMALL + ABYTES
    assert max(len(part) for part in out.parts) <= SMALL


def test_file_with_wrong_key_or_context(alice: PrivateKey, mallory: PrivateKey) -> None:
    blob, grants = _encrypt_file(alice, b"x" * 50)
    with pytest.raises(DecryptionError):
        _decrypt_file(mallory, blob, grants)
    with pytest.raises(DecryptionError):
        _decrypt_file(alice, blob, grants, OTHER_AAD)
    with pytest.raises(DecryptionError):
        _decrypt_file(alice, blob, [])


def test_file_truncated_anywhere_is_refused(alice: PrivateKey) -> None:
    data = os.urandom(3 * SMALL + 5)
    blob, grants = _encrypt_file(alice, data)
    header_end = len(stream.FILE_MAGIC) + stream.HEADER_SIZE
    for length in range(len(blob)):
        expected = FormatError if length < header_end else DecryptionError
        with pytest.raises(expected):
            _decrypt_file(alice, blob[:length], grants)


def test_file_with_data_after_the_final_chunk_is_refused(alice: PrivateKey) -> None:
    blob, grants = _encrypt_file(alice, os.urandom(2 * SMALL + 5))
    final = blob[-(5 + ABYTES) :]
    for extra in (b"\x00", final, os.urandom(SMALL + ABYTES)):
        with pytest.raises(DecryptionError):
            _decrypt_file(alice, blob + extra, grants)


def test_file_with_reordered_or_duplicated_chunks_is_refused(alice: PrivateKey) -> None:
    blob, grants = _encrypt_file(alice, os.urandom(3 * SMALL + 5))
    start = len(stream.FILE_MAGIC) + stream.HEADER_SIZE
    full = SMALL + ABYTES
    head, body = blob[:start], blob[start:]
    c = [body[i * full : (i + 1) * full] for i in range(3)]
    final = body[3 * full :]
    for bad in (c[1] + c[0] + c[2] + final, c[0] + c[0] + c[1] + c[2] + final, c[0] + c[2] + final):
        with pytest.raises(DecryptionError):
            _decrypt_file(alice, head + bad, grants)


def test_file_with_a_flipped_bit_is_refused(alice: PrivateKey) -> None:
    blob, grants = _encrypt_file(alice, os.urandom(2 * SMALL + 5))
    start = len(stream.FILE_MAGIC) + stream.HEADER_SIZE
    for index in range(start - 24, len(blob)):
        with pytest.raises(DecryptionError):
            _decrypt_file(alice, _flip(blob, index), grants)


def test_malformed_files_are_format_errors(alice: PrivateKey) -> None:
    blob, grants = _encrypt_file(alice, b"content")
    magic = len(stream.FILE_MAGIC)
    for bad in (
        b"",
        b"adal-file/v2\n" + blob[magic:],
        b"PK\x03\x04" + blob[4:],
        blob[:magic] + b"\x02" + blob[magic + 1 :],
    ):
        with pytest.raises(FormatError):
            _decrypt_file(alice, bad, grants)


def test_file_grants_work_with_grant_for(alice: PrivateKey, bob: PrivateKey) -> None:
    blob, grants = _encrypt_file(alice, b"attachment")
    grant = envelope.grant_for(envelope.open_data_key(grants, alice), bob.public_key)
    assert _decrypt_file(bob, blob, [*grants, grant]) == b"attachment"


def test_non_blocking_sources_are_refused(alice: PrivateKey) -> None:
    class WouldBlock(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> None:  # type: ignore[override]
            return None

    with pytest.raises(ValueError):
        stream.encrypt_file(WouldBlock(), io.BytesIO(), [alice.public_key], AAD)  # type: ignore[arg-type]


# --- streams made by a key holder that break our framing -----------------------------------


def _craft(
    data_key: DataKey, chunk_size: int, messages: list[tuple[bytes, int]]
) -> tuple[bytes, list[bytes]]:
    """A stream under `data_key` with arbitrary messages and tags, bypassing StreamEncryptor.

    Everything authenticates, so what is refused here is refused by our framing rules alone."""
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    ss_header = sodium.crypto_secretstream_xchacha20poly1305_init_push(
        state, data_key.expose_secret()
    )
    header = struct.pack(">BI", 1, chunk_size) + ss_header
    chunks = [
        sodium.crypto_secretstream_xchacha20poly1305_push(state, message, header + AAD, tag)
        for message, tag in messages
    ]
    return header, chunks


def test_crafted_conforming_stream_opens() -> None:
    key = DataKey.generate()
    header, chunks = _craft(
        key, SMALL, [(b"a" * SMALL, stream.TAG_MESSAGE), (b"b", stream.TAG_FINAL)]
    )
    decryptor = StreamDecryptor(header, key, AAD)
    assert b"".join(decryptor.update(c) for c in chunks) == b"a" * SMALL + b"b"
    decryptor.finalize()


@pytest.mark.parametrize(
    "tag",
    [
        sodium.crypto_secretstream_xchacha20poly1305_TAG_PUSH,
        sodium.crypto_secretstream_xchacha20poly1305_TAG_REKEY,
    ],
)
def test_tags_we_never_write_are_refused(tag: int) -> None:
    key = DataKey.generate()
    header, chunks = _craft(key, SMALL, [(b"a" * SMALL, tag), (b"", stream.TAG_FINAL)])
    decryptor = StreamDecryptor(header, key, AAD)
    with pytest.raises(DecryptionError):
        decryptor.update(chunks[0])


def test_a_short_chunk_before_the_final_one_is_refused() -> None:
    key = DataKey.generate()
    header, chunks = _craft(key, SMALL, [(b"a" * 3, stream.TAG_MESSAGE), (b"", stream.TAG_FINAL)])
    decryptor = StreamDecryptor(header, key, AAD)
    with pytest.raises(DecryptionError):
        decryptor.update(chunks[0])


def test_data_after_a_full_size_final_chunk_is_refused(alice: PrivateKey) -> None:
    # Our encryptor never writes a full final chunk, so a reader cannot count on the extra
    # bytes spoiling the last read: decrypt_file has to look for them explicitly.
    key = DataKey.generate()
    header, chunks = _craft(key, SMALL, [(b"a" * SMALL, stream.TAG_FINAL)])
    grants = [envelope.grant_for(key, alice.public_key)]
    blob = stream.FILE_MAGIC + header + chunks[0]
    assert _decrypt_file(alice, blob, grants) == b"a" * SMALL
    for extra in (b"\x00", chunks[0]):
        with pytest.raises(DecryptionError):
            _decrypt_file(alice, blob + extra, grants)


def test_a_source_that_stops_mid_read_is_refused(alice: PrivateKey) -> None:
    class ShortThenWouldBlock(io.RawIOBase):
        def __init__(self) -> None:
            self.calls = 0

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes | None:  # type: ignore[override]
            self.calls += 1
            return b"x" if self.calls == 1 else None

    with pytest.raises(ValueError):
        stream.encrypt_file(ShortThenWouldBlock(), io.BytesIO(), [alice.public_key], AAD)  # type: ignore[arg-type]
