"""Secrets only this installation may read (TOTP seeds), under the instance key.

Each use gets its own subkey (BLAKE2b keyed by the instance secret, personalised by purpose), so
a ciphertext made for one purpose never opens as another.
"""

from __future__ import annotations

import nacl.exceptions
import nacl.hash
import nacl.secret
import nacl.utils
from nacl.encoding import RawEncoder

from crypto.errors import DecryptionError


def _subkey(instance_secret: bytes, purpose: bytes) -> bytes:
    if len(purpose) > 16:
        raise ValueError("purpose is at most 16 bytes")
    return nacl.hash.blake2b(
        b"adal-localbox-v1",
        key=instance_secret,
        person=purpose,
        digest_size=32,
        encoder=RawEncoder,
    )


def seal(instance_secret: bytes, purpose: bytes, plaintext: bytes) -> bytes:
    box = nacl.secret.SecretBox(_subkey(instance_secret, purpose))
    return bytes(box.encrypt(plaintext))


def open_(instance_secret: bytes, purpose: bytes, ciphertext: bytes) -> bytes:
    box = nacl.secret.SecretBox(_subkey(instance_secret, purpose))
    try:
        return box.decrypt(ciphertext)
    except (nacl.exceptions.CryptoError, ValueError) as exc:
        raise DecryptionError("local secret does not open") from exc


def tag(instance_secret: bytes, purpose: bytes, data: bytes) -> bytes:
    """A keyed tag of `data`: equal inputs give equal tags, and without the instance secret a
    tag cannot be linked back to its input (a record that must not name what it is about)."""
    return nacl.hash.blake2b(
        data, key=_subkey(instance_secret, purpose), digest_size=32, encoder=RawEncoder
    )
