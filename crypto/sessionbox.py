"""Server-side web sessions whose data only the browser's cookie can open.

Cookie (`web.sessions` carries it):  session id (32 random bytes) ‖ session key (32 random bytes)
Row id:                             BLAKE2b-256(session id, person = "adal-session-id")
Row data:                           SecretBox(session key): nonce (24) ‖ XSalsa20-Poly1305

The server stores the row id and the sealed data, never the id itself or the key, so neither a
copy of the database nor the cookie alone opens a session: the database lacks the key, and the
cookie finds nothing once its row is gone.
"""

from __future__ import annotations

import hashlib
import secrets

import nacl.exceptions
import nacl.secret

from crypto.errors import DecryptionError

ID_SIZE = 32
KEY_SIZE = nacl.secret.SecretBox.KEY_SIZE
_ID_PERSON = b"adal-session-id"


def new_id() -> bytes:
    return secrets.token_bytes(ID_SIZE)


def new_key() -> bytes:
    return secrets.token_bytes(KEY_SIZE)


def row_id(session_id: bytes) -> bytes:
    """The database key of a session: a hash, so the table cannot rebuild a cookie."""
    return hashlib.blake2b(session_id, digest_size=32, person=_ID_PERSON).digest()


def seal(key: bytes, plaintext: bytes) -> bytes:
    return bytes(nacl.secret.SecretBox(key).encrypt(plaintext))


def open_(key: bytes, sealed: bytes) -> bytes:
    """The session data; DecryptionError if this key did not seal it or it was altered."""
    try:
        return nacl.secret.SecretBox(key).decrypt(sealed)
    except nacl.exceptions.CryptoError:
        # nacl's own ValueError and TypeError (a short row, a key of the wrong size) are
        # CryptoErrors too: to the session reader all of them mean "no session".
        raise DecryptionError("session data does not open") from None
