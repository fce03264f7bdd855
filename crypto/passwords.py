"""Staff password hashes: Argon2id through argon2-cffi, its own salt and encoded parameters."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12  # length, not composition rules (NIST SP 800-63B)
MAX_LENGTH = 1024  # bounds the KDF input; longer is a typo or an attack

_hasher = PasswordHasher()  # argon2-cffi's RFC 9106 low-memory profile (Argon2id)


def check_policy(password: str) -> str | None:
    """Return an error code if the password may not be used, else None."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(encoded: str, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def dummy_verify(password: str) -> None:
    """Spend the same time as a real check, so an unknown username is not told apart."""
    verify_password(_dummy_hash(), password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("adal-dummy-password-for-timing")
