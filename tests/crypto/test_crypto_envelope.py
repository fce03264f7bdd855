from __future__ import annotations

import base64
import copy
import os
import pickle
import string

import pytest
from nacl.public import PrivateKey

from crypto import envelope, keys
from crypto.envelope import DataKey, Grant, Sealed
from crypto.errors import DecryptionError, FormatError

AAD = b"adal/v1/report/0001"
OTHER_AAD = b"adal/v1/report/0002"
PAYLOAD = b"what happened, who, when and where"


def _flip(data: bytes, index: int, bit: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ (1 << bit)]) + data[index + 1 :]


def _replace_sealed_key(grant: Grant, sealed_key: bytes) -> Grant:
    return Grant(recipient_id=grant.recipient_id, sealed_key=sealed_key)


# --- seal and open -------------------------------------------------------------------------


def test_round_trip_one_recipient(alice: PrivateKey) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    assert isinstance(sealed, Sealed)
    assert [g.recipient_id for g in sealed.grants] == [keys.key_id(alice.public_key)]
    assert PAYLOAD not in sealed.body
    assert envelope.open_envelope(sealed.body, sealed.grants, alice, AAD) == PAYLOAD


def test_round_trip_many_recipients() -> None:
    recipients = [PrivateKey.generate() for _ in range(5)]
    sealed = envelope.seal(PAYLOAD, [bytes(k.public_key) for k in recipients], AAD)
    assert len(sealed.grants) == 5
    for key in recipients:
        assert envelope.open_envelope(sealed.body, sealed.grants, key, AAD) == PAYLOAD


@pytest.mark.parametrize("payload", [b"", b"\x00", os.urandom(1 << 20)])
def test_round_trip_payload_sizes(alice: PrivateKey, payload: bytes) -> None:
    sealed = envelope.seal(payload, [alice.public_key], AAD)
    assert len(sealed.body) == envelope.MIN_BODY_SIZE + len(payload)
    assert envelope.open_envelope(sealed.body, sealed.grants, alice, AAD) == payload


def test_body_layout(alice: PrivateKey) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    assert sealed.body[0] == 1
    assert len(sealed.body) == 1 + 24 + len(PAYLOAD) + 16
    assert len(sealed.grants[0].sealed_key) == envelope.SEALED_KEY_SIZE == 80


def test_sealing_twice_gives_unrelated_ciphertexts(alice: PrivateKey) -> None:
    first = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    second = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    assert first.body[1:25] != second.body[1:25]  # nonce
    assert first.body != second.body
    assert first.grants[0].sealed_key != second.grants[0].sealed_key
    assert envelope.open_data_key(first.grants, alice) != envelope.open_data_key(
        second.grants, alice
    )


def test_recipients_are_deduplicated_by_key_id(alice: PrivateKey, bob: PrivateKey) -> None:
    sealed = envelope.seal(
        PAYLOAD,
        [alice.public_key, bytes(bob.public_key), bytes(alice.public_key), bob.public_key],
        AAD,
    )
    assert [g.recipient_id for g in sealed.grants] == [
        keys.key_id(alice.public_key),
        keys.key_id(bob.public_key),
    ]


def test_seal_needs_recipients(alice: PrivateKey) -> None:
    with pytest.raises(ValueError):
        envelope.seal(PAYLOAD, [], AAD)
    with pytest.raises(TypeError):
        envelope.seal(PAYLOAD, bytes(alice.public_key), AAD)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        envelope.seal(PAYLOAD, alice.public_key, AAD)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        envelope.seal(PAYLOAD, [alice], AAD)  # type: ignore[list-item]
    with pytest.raises(ValueError):
        envelope.seal(PAYLOAD, [bytes(31)], AAD)


def test_seal_needs_bytes_and_a_context(alice: PrivateKey) -> None:
    with pytest.raises(ValueError):
        envelope.seal(PAYLOAD, [alice.public_key], b"")
    with pytest.raises(TypeError):
        envelope.seal(PAYLOAD, [alice.public_key], "adal/v1/report/1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        envelope.seal("text", [alice.public_key], AAD)  # type: ignore[arg-type]


# --- failures ------------------------------------------------------------------------------


def test_a_key_without_a_grant_does_not_open(alice: PrivateKey, mallory: PrivateKey) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    with pytest.raises(DecryptionError):
        envelope.open_data_key(sealed.grants, mallory)
    with pytest.raises(DecryptionError):
        envelope.open_envelope(sealed.body, sealed.grants, mallory, AAD)
    with pytest.raises(DecryptionError):
        envelope.open_data_key([], alice)


def test_a_grant_relabelled_for_another_key_does_not_open(
    alice: PrivateKey, mallory: PrivateKey
) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    relabelled = Grant(keys.key_id(mallory.public_key), sealed.grants[0].sealed_key)
    with pytest.raises(DecryptionError):
        envelope.open_data_key([relabelled], mallory)


def test_a_wrong_data_key_does_not_open_the_body(alice: PrivateKey) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    with pytest.raises(DecryptionError):
        envelope.open_body(sealed.body, DataKey.generate(), AAD)


def test_every_flipped_bit_in_the_body_is_detected(alice: PrivateKey) -> None:
    sealed = envelope.seal(b"short", [alice.public_key], AAD)
    key = envelope.open_data_key(sealed.grants, alice)
    for index in range(1, len(sealed.body)):
        for bit in (0, 7):
            with pytest.raises(DecryptionError):
                envelope.open_body(_flip(sealed.body, index, bit), key, AAD)
    # The version byte: another version is not ours to read.
    with pytest.raises(FormatError):
        envelope.open_body(_flip(sealed.body, 0), key, AAD)


def test_every_flipped_bit_in_the_sealed_key_is_detected(alice: PrivateKey) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    grant = sealed.grants[0]
    for index in range(len(grant.sealed_key)):
        for bit in (0, 7):
            damaged = _replace_sealed_key(grant, _flip(grant.sealed_key, index, bit))
            with pytest.raises(DecryptionError):
                envelope.open_data_key([damaged], alice)


def test_swapped_associated_data_is_detected(alice: PrivateKey) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    for aad in (OTHER_AAD, AAD + b"\x00", AAD[:-1], b"\x01" + AAD):
        with pytest.raises(DecryptionError):
            envelope.open_envelope(sealed.body, sealed.grants, alice, aad)


def test_bodies_cannot_be_swapped_between_envelopes(alice: PrivateKey) -> None:
    first = envelope.seal(b"first", [alice.public_key], AAD)
    second = envelope.seal(b"second", [alice.public_key], OTHER_AAD)
    # Grants of one envelope with the body of another: the data keys differ.
    with pytest.raises(DecryptionError):
        envelope.open_envelope(second.body, first.grants, alice, OTHER_AAD)
    # Same data key, body moved to another row: the associated data differs.
    key = envelope.open_data_key(first.grants, alice)
    moved = envelope.seal_with_key(b"first", key, OTHER_AAD)
    with pytest.raises(DecryptionError):
        envelope.open_body(moved, key, AAD)


def test_truncated_and_extended_bodies_are_detected(alice: PrivateKey) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    key = envelope.open_data_key(sealed.grants, alice)
    with pytest.raises(FormatError):
        envelope.open_body(b"", key, AAD)
    for length in range(1, len(sealed.body)):
        with pytest.raises(DecryptionError):
            envelope.open_body(sealed.body[:length], key, AAD)
    with pytest.raises(DecryptionError):
        envelope.open_body(sealed.body + b"\x00", key, AAD)


def test_open_body_type_checks(alice: PrivateKey) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    key = envelope.open_data_key(sealed.grants, alice)
    with pytest.raises(TypeError):
        envelope.open_body(sealed.body.hex(), key, AAD)  # type: ignore[arg-type]
    # What a database driver may return still opens.
    for buffer in (bytearray(sealed.body), memoryview(sealed.body)):
        assert envelope.open_body(buffer, key, AAD) == PAYLOAD  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        envelope.open_body(sealed.body, key, b"")
    with pytest.raises(TypeError):
        envelope.open_data_key(sealed.grants, alice.public_key)  # type: ignore[arg-type]


def test_a_damaged_duplicate_grant_does_not_hide_a_good_one(alice: PrivateKey) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    good = sealed.grants[0]
    damaged = _replace_sealed_key(good, _flip(good.sealed_key, 40))
    assert envelope.open_envelope(sealed.body, [damaged, good], alice, AAD) == PAYLOAD
    assert envelope.open_envelope(sealed.body, iter([damaged, good]), alice, AAD) == PAYLOAD


# --- data keys and grants ------------------------------------------------------------------


def test_a_grant_for_a_new_recipient_opens(
    alice: PrivateKey, bob: PrivateKey, mallory: PrivateKey
) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    with pytest.raises(DecryptionError):
        envelope.open_envelope(sealed.body, sealed.grants, bob, AAD)
    key = envelope.open_data_key(sealed.grants, alice)
    grant = envelope.grant_for(key, bob.public_key)
    assert grant.recipient_id == keys.key_id(bob.public_key)
    grants = [*sealed.grants, grant]
    assert envelope.open_envelope(sealed.body, grants, bob, AAD) == PAYLOAD
    assert envelope.open_envelope(sealed.body, grants, alice, AAD) == PAYLOAD
    with pytest.raises(DecryptionError):
        envelope.open_envelope(sealed.body, grants, mallory, AAD)


def test_revoking_every_grant_shreds(alice: PrivateKey) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    with pytest.raises(DecryptionError):
        envelope.open_envelope(sealed.body, [], alice, AAD)


def test_seal_with_key_uses_a_fresh_nonce(alice: PrivateKey) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    key = envelope.open_data_key(sealed.grants, alice)
    bodies = {envelope.seal_with_key(b"edited", key, AAD) for _ in range(50)}
    assert len(bodies) == 50
    assert len({body[1:25] for body in bodies}) == 50
    for body in bodies:
        assert envelope.open_envelope(body, sealed.grants, alice, AAD) == b"edited"


def test_data_key_does_not_leak(alice: PrivateKey) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    key = envelope.open_data_key(sealed.grants, alice)
    raw = key.expose_secret()
    assert len(raw) == 32
    for text in (repr(key), str(key), f"{key}", repr([key])):
        assert raw.hex() not in text and repr(raw) not in text
    with pytest.raises(TypeError):
        pickle.dumps(key)
    with pytest.raises(TypeError):
        copy.copy(key)
    with pytest.raises(TypeError):
        hash(key)


def test_data_key_equality_and_validation(alice: PrivateKey) -> None:
    raw = os.urandom(32)
    assert DataKey(raw) == DataKey(raw)
    assert DataKey(raw) != DataKey(os.urandom(32))
    assert DataKey(raw) != raw
    for bad in (b"", bytes(31), bytes(33)):
        with pytest.raises(ValueError):
            DataKey(bad)
    with pytest.raises(ValueError):
        DataKey(bytearray(32))  # type: ignore[arg-type]


def test_grant_validation(alice: PrivateKey) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    grant = sealed.grants[0]
    for bad_id in ("", grant.recipient_id.upper(), grant.recipient_id[:-1], "g" * 32, None):
        with pytest.raises(FormatError):
            Grant(bad_id, grant.sealed_key)  # type: ignore[arg-type]
    for bad_key in (b"", grant.sealed_key[:-1], grant.sealed_key + b"\x00", "x" * 80):
        with pytest.raises(FormatError):
            Grant(grant.recipient_id, bad_key)  # type: ignore[arg-type]
    # Database drivers may return memoryview or bytearray; the grant still works.
    for buffer in (memoryview(grant.sealed_key), bytearray(grant.sealed_key)):
        converted = Grant(grant.recipient_id, buffer)  # type: ignore[arg-type]
        assert type(converted.sealed_key) is bytes
        assert converted == grant
        assert envelope.open_envelope(sealed.body, [converted], alice, AAD) == PAYLOAD


def test_grant_for_checks_the_recipient(alice: PrivateKey) -> None:
    key = DataKey.generate()
    with pytest.raises(TypeError):
        envelope.grant_for(key, alice)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        envelope.grant_for(key, b"short")


# --- serialisation -------------------------------------------------------------------------


def test_serialisation_round_trip(alice: PrivateKey, bob: PrivateKey) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key, bob.public_key], AAD)
    data = envelope.to_bytes(sealed)
    assert envelope.from_bytes(data) == sealed
    assert envelope.to_bytes(envelope.from_bytes(data)) == data
    reread = envelope.from_bytes(data)
    for key in (alice, bob):
        assert envelope.open_envelope(reread.body, reread.grants, key, AAD) == PAYLOAD


def test_serialised_layout(alice: PrivateKey) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    data = envelope.to_bytes(sealed)
    lines = data.split(b"\n", 4)
    assert lines[0] == b"adal-envelope/v1"
    assert lines[1] == b"-> X25519 " + keys.key_id(alice.public_key).encode()
    assert base64.b64decode(lines[2] + b"=") == sealed.grants[0].sealed_key
    assert lines[3] == b"---"
    assert data.endswith(sealed.body)
    assert data == b"\n".join(lines[:4]) + b"\n" + sealed.body


@pytest.mark.parametrize("size", [0, 1, 10, 1000])
def test_serialisation_survives_any_body_bytes(alice: PrivateKey, size: int) -> None:
    # Bodies are binary and may contain "\n---\n": only the first "---" line ends the header.
    payload = b"\n---\n" * size
    for _ in range(20):
        sealed = envelope.seal(payload, [alice.public_key], AAD)
        reread = envelope.from_bytes(envelope.to_bytes(sealed))
        assert envelope.open_envelope(reread.body, reread.grants, alice, AAD) == payload


def test_serialised_tampering_is_detected(alice: PrivateKey) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    data = envelope.to_bytes(sealed)
    body_at = len(data) - len(sealed.body)
    damaged = envelope.from_bytes(_flip(data, body_at + 10))
    with pytest.raises(DecryptionError):
        envelope.open_envelope(damaged.body, damaged.grants, alice, AAD)
    truncated = envelope.from_bytes(data[:-1])
    with pytest.raises(DecryptionError):
        envelope.open_envelope(truncated.body, truncated.grants, alice, AAD)


def _serialised(alice: PrivateKey) -> tuple[bytes, bytes, bytes, bytes]:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    data = envelope.to_bytes(sealed)
    _magic, stanza, sealed_key, _rest = data.split(b"\n", 3)
    return stanza, sealed_key, sealed.body, data


def test_malformed_serialisations_are_format_errors(alice: PrivateKey) -> None:
    stanza, sealed_key, body, data = _serialised(alice)
    kid = keys.key_id(alice.public_key).encode()
    bad_b64 = sealed_key[:-1] + b"!"
    # The last of 107 base64 characters carries 2 unused bits; setting one is not canonical.
    alphabet = (string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/").encode()
    last = alphabet.index(sealed_key[-1:])
    non_canonical = sealed_key[:-1] + alphabet[last | 1 : (last | 1) + 1]

    def build(*lines: bytes, tail: bytes = body) -> bytes:
        return b"\n".join(lines) + b"\n" + tail

    malformed = [
        b"",
        b"adal-envelope/v1",
        b"adal-envelope/v2\n" + data.split(b"\n", 1)[1],
        b"age-encryption.org/v1\n" + data.split(b"\n", 1)[1],
        build(b"adal-envelope/v1", b"---"),  # no recipients
        build(b"adal-envelope/v1", stanza, sealed_key),  # no end of header
        build(b"adal-envelope/v1", stanza, sealed_key, tail=b""),
        build(b"adal-envelope/v1", b"-> scrypt " + kid, sealed_key, b"---"),
        build(b"adal-envelope/v1", b"-> X25519 " + kid.upper(), sealed_key, b"---"),
        build(b"adal-envelope/v1", b"-> X25519 " + kid[:-1], sealed_key, b"---"),
        build(b"adal-envelope/v1", b"-> X25519 " + kid + b" extra", sealed_key, b"---"),
        build(b"adal-envelope/v1", stanza, sealed_key, stanza, sealed_key, b"---"),  # duplicate
        build(b"adal-envelope/v1", stanza, bad_b64, b"---"),
        build(b"adal-envelope/v1", stanza, sealed_key + b"=", b"---"),
        build(b"adal-envelope/v1", stanza, sealed_key[:-4], b"---"),
        build(b"adal-envelope/v1", stanza, b"---"),
        build(b"adal-envelope/v1", stanza, sealed_key, b"---", tail=b""),  # no body
        build(b"adal-envelope/v1", stanza, sealed_key, b"---", tail=b"\x02" + body[1:]),
        b"adal-envelope/v1\r\n" + data.split(b"\n", 1)[1],
        b"x" * 10_000,
        build(b"adal-envelope/v1", stanza, non_canonical, b"---"),
    ]
    for bad in malformed:
        with pytest.raises(FormatError):
            envelope.from_bytes(bad)


def test_every_truncation_of_the_header_is_a_format_error(alice: PrivateKey) -> None:
    _stanza, _sealed_key, body, data = _serialised(alice)
    header_length = len(data) - len(body)
    for length in range(header_length + 1):
        with pytest.raises(FormatError):
            envelope.from_bytes(data[:length])


def test_to_bytes_refuses_an_envelope_without_grants(alice: PrivateKey) -> None:
    sealed = envelope.seal(PAYLOAD, [alice.public_key], AAD)
    with pytest.raises(ValueError):
        envelope.to_bytes(Sealed(body=sealed.body, grants=[]))
    with pytest.raises(ValueError):
        envelope.to_bytes(Sealed(body=sealed.body, grants=sealed.grants * 2))
    with pytest.raises(TypeError):
        envelope.from_bytes(bytearray(envelope.to_bytes(sealed)))  # type: ignore[arg-type]
