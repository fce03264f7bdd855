"""crypto.secretstream: the typed halves of libsodium's secretstream that files and backups use."""

from __future__ import annotations

import nacl.bindings as sodium
import pytest

from crypto import secretstream
from crypto.errors import DecryptionError

KEY = bytes(range(32))
AD = b"adal/test"


def test_messages_open_in_order_and_the_last_is_final() -> None:
    pusher = secretstream.Pusher(KEY)
    sealed = [pusher.push(b"one", AD), pusher.push(b"", AD), pusher.push(b"end", AD, final=True)]
    assert [len(m) for m in sealed] == [
        3 + secretstream.ABYTES,
        secretstream.ABYTES,
        3 + secretstream.ABYTES,
    ]
    puller = secretstream.Puller(pusher.header, KEY)
    assert [puller.pull(m, AD) for m in sealed] == [(b"one", False), (b"", False), (b"end", True)]


@pytest.mark.parametrize("case", ["key", "ad", "order", "short"])
def test_what_does_not_authenticate_is_a_decryption_error(case: str) -> None:
    pusher = secretstream.Pusher(KEY)
    first, second = pusher.push(b"one", AD), pusher.push(b"two", AD)
    key = bytes(32) if case == "key" else KEY
    puller = secretstream.Puller(pusher.header, key)
    message = {"order": second, "short": first[: secretstream.ABYTES - 1]}.get(case, first)
    with pytest.raises(DecryptionError):
        puller.pull(message, b"other" if case == "ad" else AD)


def test_tags_adal_never_writes_are_refused() -> None:
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    header = sodium.crypto_secretstream_xchacha20poly1305_init_push(state, KEY)
    rekey = sodium.crypto_secretstream_xchacha20poly1305_push(
        state, b"x", AD, sodium.crypto_secretstream_xchacha20poly1305_TAG_REKEY
    )
    with pytest.raises(DecryptionError):
        secretstream.Puller(header, KEY).pull(rekey, AD)


def test_wrong_sizes_are_programming_errors() -> None:
    with pytest.raises(ValueError):
        secretstream.Pusher(KEY[:31])
    with pytest.raises(ValueError):
        secretstream.Puller(bytes(23), KEY)
