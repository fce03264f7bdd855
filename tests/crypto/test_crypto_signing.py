"""crypto.signing: a recipient key countersigns a head key (issue 12, p14)."""

from __future__ import annotations

import pytest

from crypto import keys as ckeys
from crypto import signing


def _head() -> tuple[bytes, bytes]:
    private = ckeys.generate_keypair()
    return bytes(private.public_key), signing.verify_key(private)


def test_an_approval_verifies_for_exactly_the_key_it_names() -> None:
    approver = ckeys.generate_keypair()
    public, verify = _head()
    signature = signing.approve_head_key(approver, public, verify)
    assert len(signature) == signing.SIGNATURE_SIZE
    by = signing.verify_key(approver)
    assert signing.is_head_key_approval(by, public, verify, signature)
    other_public, other_verify = _head()
    assert not signing.is_head_key_approval(by, other_public, verify, signature)
    assert not signing.is_head_key_approval(by, public, other_verify, signature)
    assert not signing.is_head_key_approval(
        signing.verify_key(ckeys.generate_keypair()), public, verify, signature
    )
    forged = bytes([signature[0] ^ 1]) + signature[1:]
    assert not signing.is_head_key_approval(by, public, verify, forged)
    assert not signing.is_head_key_approval(by, public, verify, signature[:-1])
    assert not signing.is_head_key_approval(b"short", public, verify, signature)


def test_the_verify_key_is_derived_from_the_key_and_is_not_its_public_key() -> None:
    private = ckeys.generate_keypair()
    assert signing.verify_key(private) == signing.verify_key(ckeys.PrivateKey(bytes(private)))
    assert signing.verify_key(private) != bytes(private.public_key)
    # The printed recovery key signs as the key it prints.
    text = ckeys.format_recovery_key(private)
    assert signing.verify_key(ckeys.parse_recovery_key(text)) == signing.verify_key(private)


def test_only_a_private_key_signs() -> None:
    public, verify = _head()
    with pytest.raises(TypeError):
        signing.approve_head_key(public, public, verify)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        signing.approve_head_key(ckeys.generate_keypair(), public, b"x" * 31)
