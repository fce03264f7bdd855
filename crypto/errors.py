"""Errors raised by the crypto package.

Two families, so callers can tell "this is not ours" from "this is ours but does not open":

* `FormatError`: stored bytes or text that cannot be parsed at all (bad magic, unknown version,
  wrong length, bad checksum in a printed key). Nothing secret was touched.
* `DecryptionError`: well-formed input that does not authenticate: wrong key, no grant for this
  key, a flipped bit, swapped associated data, a truncated, reordered or extended stream.
  `WrongPassword` is the case where the key came from a password.

Arguments of the wrong type or size passed by our own code (a 31-byte public key, an empty
recipient list) are programming errors and raise the built-in `TypeError` / `ValueError`.

Messages never contain key material, receipt codes or plaintext: they may end up in logs.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base class of every error this package raises on purpose."""


class DecryptionError(CryptoError):
    """The input is well-formed but does not authenticate under this key and context."""


class FormatError(CryptoError):
    """The input is malformed or of an unknown version."""


class WrongPassword(DecryptionError):
    """A password-wrapped key did not open (wrong password or a damaged ciphertext)."""
