"""libsodium's crypto_secretstream_xchacha20poly1305, as the two typed halves Adal uses.

A stream is one 32-byte key, a 24-byte header made by the writer, and a sequence of messages,
each `ABYTES` longer than its plaintext and authenticated with the caller's associated data.
libsodium's internal counter makes a dropped, repeated or reordered message fail; the writer
marks the last message final, so a reader can tell a complete stream from a truncated one.

Adal writes two tags only, MESSAGE and FINAL. A reader refuses every other tag (PUSH, REKEY):
they authenticate, but no Adal writer makes them, so one in a stream means someone holding the
key built it to confuse a framing that counts on these two.

Formats built on this: file bodies (`crypto.stream`) and the backup container
(`installation.backupfile`). They add their own framing and choose what the associated data is.
"""

from __future__ import annotations

import nacl.bindings as sodium
import nacl.exceptions

from crypto.errors import DecryptionError

KEY_SIZE = sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES
HEADER_SIZE = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
TAG_MESSAGE: int = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
TAG_FINAL: int = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != KEY_SIZE:
        raise ValueError(f"a secretstream key is {KEY_SIZE} bytes")


class Pusher:
    """The writing half: `header` goes first, then one `push` per message, the last final."""

    def __init__(self, key: bytes) -> None:
        _check_key(key)
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        self.header: bytes = sodium.crypto_secretstream_xchacha20poly1305_init_push(
            self._state, key
        )

    def push(self, plaintext: bytes, ad: bytes, *, final: bool = False) -> bytes:
        tag = TAG_FINAL if final else TAG_MESSAGE
        return sodium.crypto_secretstream_xchacha20poly1305_push(self._state, plaintext, ad, tag)


class Puller:
    """The reading half. Messages must come in the order they were pushed."""

    def __init__(self, header: bytes, key: bytes) -> None:
        _check_key(key)
        if not isinstance(header, bytes) or len(header) != HEADER_SIZE:
            raise ValueError(f"a secretstream header is {HEADER_SIZE} bytes")
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(self._state, header, key)

    def pull(self, message: bytes, ad: bytes) -> tuple[bytes, bool]:
        """(plaintext, is the final message); DecryptionError if the message is not the
        authentic next one under this key and associated data, or carries a tag we never write.
        """
        try:
            plaintext, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(
                self._state, message, ad
            )
        except nacl.exceptions.CryptoError:
            # Also what a message shorter than ABYTES raises (nacl's ValueError subclasses it).
            raise DecryptionError(
                "message does not open: wrong key, data, order or context"
            ) from None
        if tag not in (TAG_MESSAGE, TAG_FINAL):
            raise DecryptionError("unexpected message tag")
        return plaintext, tag == TAG_FINAL
