"""Countersignatures: a recipient key vouches for another with Ed25519.

A recipient key (a staff key or the recovery key) is an X25519 key: it can be sealed to, but it
cannot sign. Its signing key is derived from it, so whoever can open with a key can also sign
with it, and nothing new is stored, wrapped or printed:

    seed        = BLAKE2b-256(X25519 private key, person = "adal-sign-1")
    signing key = Ed25519 SigningKey(seed);  verify key = its 32-byte public half

Head-key approval, version 1 (the custody rule of p14, cases/custody.py):

    message   = b"adal-head-key-approval-1" ‖ 0x00 ‖ X25519 public key (32) ‖ verify key (32)
    signature = detached Ed25519 signature of `message` (64 bytes)

The message names both halves of the approved key: the public key identities are sealed to,
and the verify key with which that head may in turn approve others.
"""

from __future__ import annotations

import nacl.exceptions
import nacl.hash
import nacl.signing
from nacl.encoding import RawEncoder

from crypto.keys import KEY_SIZE, PrivateKey, public_key_bytes

SIGNATURE_SIZE = 64
_SEED_PERSON = b"adal-sign-1"
_APPROVAL_CONTEXT = b"adal-head-key-approval-1\x00"


def _signing_key(private_key: PrivateKey) -> nacl.signing.SigningKey:
    if not isinstance(private_key, PrivateKey):
        raise TypeError("expected a PrivateKey")
    seed = nacl.hash.blake2b(
        bytes(private_key), digest_size=KEY_SIZE, person=_SEED_PERSON, encoder=RawEncoder
    )
    return nacl.signing.SigningKey(seed)


def verify_key(private_key: PrivateKey) -> bytes:
    """The 32-byte verify key of a recipient key: public, stored next to its public key."""
    return bytes(_signing_key(private_key).verify_key)


def _approval_message(public_key: bytes, approved_verify_key: bytes) -> bytes:
    if len(approved_verify_key) != KEY_SIZE:
        raise ValueError("a verify key is 32 bytes")
    return _APPROVAL_CONTEXT + public_key_bytes(public_key) + approved_verify_key


def approve_head_key(approver: PrivateKey, public_key: bytes, approved_verify_key: bytes) -> bytes:
    """The approver's signature over a head key (its public key and its verify key)."""
    message = _approval_message(public_key, approved_verify_key)
    return bytes(_signing_key(approver).sign(message).signature)


def is_head_key_approval(
    approver_verify_key: bytes, public_key: bytes, approved_verify_key: bytes, signature: bytes
) -> bool:
    """True if `signature` is the approver's approval of exactly this head key."""
    if len(approver_verify_key) != KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        message = _approval_message(public_key, approved_verify_key)
        nacl.signing.VerifyKey(approver_verify_key).verify(message, signature)
    except (ValueError, nacl.exceptions.BadSignatureError):
        return False
    return True
