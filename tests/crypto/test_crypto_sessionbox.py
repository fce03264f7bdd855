"""crypto.sessionbox: the row id and the sealed data of a web session, as web.sessions stores
them (the format predates the module, so existing rows and cookies keep working)."""

from __future__ import annotations

import hashlib

import pytest

from crypto import sessionbox
from crypto.errors import DecryptionError


def test_row_id_is_the_personalised_blake2b_of_the_session_id() -> None:
    sid = bytes(range(32))
    expected = hashlib.blake2b(sid, digest_size=32, person=b"adal-session-id").digest()
    assert sessionbox.row_id(sid) == expected
    assert sessionbox.row_id(sid) != sid


def test_sealed_data_opens_with_its_key_only() -> None:
    key = sessionbox.new_key()
    sealed = sessionbox.seal(key, b'{"a": 1}')
    assert len(sealed) == 24 + 16 + len(b'{"a": 1}')  # nonce, tag, data
    assert sessionbox.open_(key, sealed) == b'{"a": 1}'
    with pytest.raises(DecryptionError):
        sessionbox.open_(sessionbox.new_key(), sealed)
    with pytest.raises(DecryptionError):
        sessionbox.open_(key, sealed[:-1] + bytes([sealed[-1] ^ 1]))
    with pytest.raises(DecryptionError):
        sessionbox.open_(key, b"short")


def test_fresh_ids_and_keys_are_random_and_sized() -> None:
    assert len(sessionbox.new_id()) == sessionbox.ID_SIZE == 32
    assert len(sessionbox.new_key()) == sessionbox.KEY_SIZE == 32
    assert sessionbox.new_id() != sessionbox.new_id()
