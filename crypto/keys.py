"""Recipient keys: fingerprints, password-wrapped staff keys, and the printed recovery key.

Wrapped key blob, version 1 (139 bytes, all fields fixed-size):

    b"adal-key" ‖ 0x01 ‖ KdfParams.to_bytes() (10) ‖ salt (16) ‖ public key (32)
    ‖ SecretBox nonce (24) ‖ SecretBox ciphertext of the 32-byte private key (48)

The box key is `kdf.derive_wrapping_key(password, salt, params)`. SecretBox has no associated
data, so the header is protected differently: a changed salt or parameter derives another key and
the box fails (WrongPassword); a changed public key no longer matches the key that comes out of
the box, which is checked on every unwrap (DecryptionError).

Recovery key, printed once by `adal init` for offline keeping:

    ADAL-RECOVERY-1-XXXX-XXXX-...-XX

where the body is unpadded RFC 4648 base32 of private key (32) ‖ BLAKE2b-32 checksum (4), so a
mistyped character is detected before the key is used.

`PrivateKey` and `PublicKey` are PyNaCl's X25519 key types. Code outside `crypto/` names them
through this module, so that PyNaCl stays an implementation detail of this package.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import unicodedata

import nacl.exceptions
import nacl.hash
import nacl.secret
from nacl.encoding import HexEncoder, RawEncoder
from nacl.public import PrivateKey, PublicKey  # re-exported: see the module docstring

from crypto import kdf
from crypto.errors import DecryptionError, FormatError, WrongPassword
from crypto.kdf import KdfParams

KEY_SIZE = 32
KEY_ID_SIZE = 16

_KEY_ID_PERSON = b"adal-key-id"

WRAP_MAGIC = b"adal-key"
WRAP_VERSION = 1
_WRAP_PREFIX = WRAP_MAGIC + bytes([WRAP_VERSION])
_BOX_SIZE = nacl.secret.SecretBox.NONCE_SIZE + KEY_SIZE + nacl.secret.SecretBox.MACBYTES
WRAPPED_SIZE = len(_WRAP_PREFIX) + kdf.PARAMS_SIZE + kdf.SALT_SIZE + KEY_SIZE + _BOX_SIZE

RECOVERY_PREFIX = "ADAL-RECOVERY-1-"
_RECOVERY_COMPACT_PREFIX = "ADALRECOVERY1"
_RECOVERY_PERSON = b"adal-recovery-1"
_RECOVERY_CHECKSUM_SIZE = 4
_RECOVERY_GROUP = 4
_RECOVERY_BODY_CHARS = 58  # base32 of 36 bytes, without padding
_MAX_RECOVERY_TEXT = 300
# Digits that are not in the base32 alphabet are read as the letters they are mistaken for.
_RECOVERY_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


def public_key_bytes(key: bytes | PublicKey) -> bytes:
    """The 32 raw bytes of a recipient's public key, from either accepted form."""
    if isinstance(key, PrivateKey):
        # bytes(private_key) is the secret scalar: fingerprinting or sealing to it is a bug.
        raise TypeError("expected a public key, got a PrivateKey")
    raw = bytes(key) if isinstance(key, PublicKey) else key
    if not isinstance(raw, bytes) or len(raw) != KEY_SIZE:
        raise ValueError("a public key is 32 bytes")
    return raw


def key_id(public_key: bytes | PublicKey) -> str:
    """BLAKE2b-128 fingerprint, 32 lowercase hex characters: the recipient id in grants."""
    digest = nacl.hash.blake2b(
        public_key_bytes(public_key),
        digest_size=KEY_ID_SIZE,
        person=_KEY_ID_PERSON,
        encoder=HexEncoder,
    )
    return digest.decode("ascii")


def generate_keypair() -> PrivateKey:
    return PrivateKey.generate()


# --- password-wrapped staff keys -----------------------------------------------------------


def wrap_private_key(
    private_key: PrivateKey, password: str, params: KdfParams | None = None
) -> bytes:
    """Wrap under a key derived from `password` with a fresh salt. Default params: KdfParams()."""
    if not isinstance(private_key, PrivateKey):
        raise TypeError("expected a PrivateKey")
    params = KdfParams() if params is None else params
    salt = kdf.new_salt()
    box = nacl.secret.SecretBox(kdf.derive_wrapping_key(password, salt, params))
    boxed = bytes(box.encrypt(bytes(private_key)))
    return _WRAP_PREFIX + params.to_bytes() + salt + bytes(private_key.public_key) + boxed


def _parse_wrapped(blob: bytes) -> tuple[KdfParams, bytes, bytes, bytes]:
    """(params, salt, public key, boxed private key) of a wrapped blob, or FormatError."""
    if not isinstance(blob, bytes):
        raise FormatError("a wrapped key is bytes")
    if not blob.startswith(WRAP_MAGIC):
        raise FormatError("not a wrapped Adal key")
    if blob[: len(_WRAP_PREFIX)] != _WRAP_PREFIX:
        raise FormatError("unknown wrapped key version")
    if len(blob) != WRAPPED_SIZE:
        raise FormatError("wrapped key has the wrong length")
    pos = len(_WRAP_PREFIX)
    params = KdfParams.from_bytes(blob[pos : pos + kdf.PARAMS_SIZE])
    pos += kdf.PARAMS_SIZE
    salt = blob[pos : pos + kdf.SALT_SIZE]
    pos += kdf.SALT_SIZE
    public = blob[pos : pos + KEY_SIZE]
    pos += KEY_SIZE
    return params, salt, public, blob[pos:]


def wrapped_public_key(blob: bytes) -> bytes:
    """The public key recorded in a wrapped blob (no password needed)."""
    return _parse_wrapped(blob)[2]


def wrapped_params(blob: bytes) -> KdfParams:
    """The KDF parameters a wrapped blob was made with, e.g. to decide whether to re-wrap."""
    return _parse_wrapped(blob)[0]


def unwrap_private_key(blob: bytes, password: str) -> PrivateKey:
    """The private key in `blob`; WrongPassword if it does not open, FormatError if malformed."""
    params, salt, public, boxed = _parse_wrapped(blob)
    box = nacl.secret.SecretBox(kdf.derive_wrapping_key(password, salt, params))
    try:
        raw = box.decrypt(boxed)
    except nacl.exceptions.CryptoError:
        raise WrongPassword("the password does not open this key") from None
    private_key = PrivateKey(raw)
    if not hmac.compare_digest(bytes(private_key.public_key), public):
        raise DecryptionError("wrapped key does not match its recorded public key")
    return private_key


def rewrap_private_key(
    blob: bytes, old_password: str, new_password: str, params: KdfParams | None = None
) -> bytes:
    """Re-wrap under a new password and a fresh salt.

    `params=None` keeps the blob's own parameters, so a password change never silently lowers
    the cost; pass the installation's current params to raise it.
    """
    private_key = unwrap_private_key(blob, old_password)
    if params is None:
        params = wrapped_params(blob)
    return wrap_private_key(private_key, new_password, params)


# --- recovery key --------------------------------------------------------------------------


def _recovery_checksum(raw_key: bytes) -> bytes:
    return nacl.hash.blake2b(
        raw_key,
        digest_size=_RECOVERY_CHECKSUM_SIZE,
        person=_RECOVERY_PERSON,
        encoder=RawEncoder,
    )


def format_recovery_key(private_key: PrivateKey) -> str:
    """The printable form of a private key, for the one-time recovery printout."""
    raw = bytes(private_key)
    body = base64.b32encode(raw + _recovery_checksum(raw)).decode("ascii").rstrip("=")
    groups = [body[i : i + _RECOVERY_GROUP] for i in range(0, len(body), _RECOVERY_GROUP)]
    return RECOVERY_PREFIX + "-".join(groups)


def generate_recovery_key() -> tuple[str, bytes]:
    """(printable private key, public key bytes). Print the first once; store only the second."""
    private_key = generate_keypair()
    return format_recovery_key(private_key), bytes(private_key.public_key)


def parse_recovery_key(text: str) -> PrivateKey:
    """Read a typed recovery key. Case, spaces, line breaks and dashes do not matter."""
    if not isinstance(text, str):
        raise FormatError("a recovery key is text")
    if len(text) > _MAX_RECOVERY_TEXT:
        raise FormatError("too long to be a recovery key")
    compact = "".join(
        ch for ch in text if not (ch.isspace() or unicodedata.category(ch) == "Pd")
    ).upper()
    if not compact.startswith(_RECOVERY_COMPACT_PREFIX):
        raise FormatError("not an Adal recovery key (expected ADAL-RECOVERY-1-...)")
    body = compact[len(_RECOVERY_COMPACT_PREFIX) :].translate(_RECOVERY_LOOKALIKES)
    if len(body) != _RECOVERY_BODY_CHARS:
        raise FormatError("recovery key has the wrong number of characters")
    padded = body + "=" * (-len(body) % 8)
    try:
        decoded = base64.b32decode(padded)
    except (binascii.Error, ValueError):
        raise FormatError("recovery key contains characters that are not base32") from None
    # b32decode ignores the unused low bits of the last character; requiring the canonical
    # spelling means every single-character change is caught, not just most.
    if base64.b32encode(decoded).decode("ascii") != padded:
        raise FormatError("recovery key checksum does not match (typo?)")
    raw, checksum = decoded[:KEY_SIZE], decoded[KEY_SIZE:]
    if not hmac.compare_digest(checksum, _recovery_checksum(raw)):
        raise FormatError("recovery key checksum does not match (typo?)")
    return PrivateKey(raw)
