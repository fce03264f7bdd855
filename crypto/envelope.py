"""Envelopes: one payload, many recipients, modelled on age.

A fresh random 32-byte data key encrypts the payload; the data key is sealed to each recipient.

Grant (one per recipient; a database row of its own):
    recipient_id = keys.key_id(recipient public key)       32 lowercase hex characters
    sealed_key   = crypto_box_seal(data key, recipient pk)  80 bytes
Adding a recipient adds a grant; deleting every grant leaves a body nobody can open (shredding).

Body, version 1:
    0x01 ‖ nonce (24 random bytes) ‖ XChaCha20-Poly1305-IETF(payload, ad = 0x01 ‖ aad)
The caller's `aad` names what the envelope belongs to (e.g. b"adal/v1/report/<id>"), so a body
moved to another row does not open there. It must not be empty.

Serialised form (export and backup; `to_bytes` / `from_bytes`), ASCII header then raw body:
    adal-envelope/v1\\n
    -> X25519 <recipient id>\\n          one stanza per grant, at least one
    <sealed key, base64 without padding>\\n
    ---\\n
    <body>
The header is not authenticated as a whole and need not be: each sealed key authenticates
itself, and a grant that seals any other key fails to open the body.

The data key (`DataKey`) is also the key of a file stream (see `crypto.stream`), so
`open_data_key` and `grant_for` serve files too. Use one data key for one object only.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import nacl.bindings as sodium
import nacl.exceptions
import nacl.utils
from nacl.public import PrivateKey, PublicKey

from crypto import keys
from crypto.errors import DecryptionError, FormatError

DATA_KEY_SIZE = 32
SEALED_KEY_SIZE = DATA_KEY_SIZE + sodium.crypto_box_SEALBYTES
NONCE_SIZE = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
TAG_SIZE = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES

BODY_VERSION = 1
_BODY_PREFIX = bytes([BODY_VERSION])
MIN_BODY_SIZE = len(_BODY_PREFIX) + NONCE_SIZE + TAG_SIZE

MAGIC = b"adal-envelope/v1"
_STANZA_PREFIX = b"-> X25519 "
_HEADER_END = b"---"
_MAX_HEADER_LINE = 200  # far above any valid line; bounds the search on junk input
_KEY_ID_RE = re.compile(r"[0-9a-f]{32}")
_SEALED_B64_CHARS = len(base64.b64encode(bytes(SEALED_KEY_SIZE)).rstrip(b"="))

Recipient = bytes | PublicKey


class DataKey:
    """A 32-byte symmetric key. Its repr is redacted and it refuses to be pickled, so it does not
    leak through logs, tracebacks with locals, or a session store."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) != DATA_KEY_SIZE:
            raise ValueError("a data key is 32 bytes")
        self._key = key

    @classmethod
    def generate(cls) -> DataKey:
        return cls(nacl.utils.random(DATA_KEY_SIZE))

    def expose_secret(self) -> bytes:
        """The raw key, for handing to a libsodium call. Do not store or log it."""
        return self._key

    def __repr__(self) -> str:
        return "DataKey(<redacted>)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataKey):
            return NotImplemented
        return hmac.compare_digest(self._key, other._key)

    __hash__ = None  # type: ignore[assignment]  # equal keys must not become dict keys by accident

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a DataKey must not be serialised")


@dataclass(frozen=True)
class Grant:
    """The data key sealed to one recipient. Every instance is well-formed (FormatError if not)."""

    recipient_id: str
    sealed_key: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.recipient_id, str) or not _KEY_ID_RE.fullmatch(self.recipient_id):
            raise FormatError("a recipient id is 32 lowercase hex characters")
        if isinstance(self.sealed_key, bytearray | memoryview):
            # Database drivers may hand back either; the bindings want bytes.
            object.__setattr__(self, "sealed_key", bytes(self.sealed_key))
        if not isinstance(self.sealed_key, bytes) or len(self.sealed_key) != SEALED_KEY_SIZE:
            raise FormatError(f"a sealed key is {SEALED_KEY_SIZE} bytes")


@dataclass(frozen=True)
class Sealed:
    body: bytes
    grants: list[Grant]


def _check_aad(aad: bytes) -> None:
    if not isinstance(aad, bytes):
        raise TypeError("aad must be bytes")
    if not aad:
        # An empty context would let any body open in any row: always name the owner.
        raise ValueError("aad must name what the envelope belongs to")


def unique_recipients(recipients: Sequence[Recipient]) -> list[bytes]:
    """Raw public keys, first occurrence of each key id kept; ValueError if there are none."""
    if isinstance(recipients, bytes | PublicKey):
        # bytes is itself a Sequence: a lone key would otherwise be read as 32 "recipients".
        raise TypeError("recipients must be a sequence of public keys")
    seen: set[str] = set()
    unique: list[bytes] = []
    for recipient in recipients:
        raw = keys.public_key_bytes(recipient)
        kid = keys.key_id(raw)
        if kid not in seen:
            seen.add(kid)
            unique.append(raw)
    if not unique:
        raise ValueError("an envelope needs at least one recipient")
    return unique


def grant_for(data_key: DataKey, recipient: Recipient) -> Grant:
    """Seal an (opened) data key to one more recipient."""
    raw = keys.public_key_bytes(recipient)
    sealed = sodium.crypto_box_seal(data_key.expose_secret(), raw)
    return Grant(recipient_id=keys.key_id(raw), sealed_key=sealed)


def grants_for(data_key: DataKey, recipients: Sequence[Recipient]) -> list[Grant]:
    return [grant_for(data_key, raw) for raw in unique_recipients(recipients)]


def seal_with_key(payload: bytes, data_key: DataKey, aad: bytes) -> bytes:
    """A new body under an existing data key.

    The nonce is fresh and random every time; XChaCha's 24 bytes make a collision negligible
    however many bodies share a key.
    """
    if not isinstance(payload, bytes):
        raise TypeError("payload must be bytes")
    _check_aad(aad)
    nonce = nacl.utils.random(NONCE_SIZE)
    ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        payload, _BODY_PREFIX + aad, nonce, data_key.expose_secret()
    )
    return _BODY_PREFIX + nonce + ciphertext


def seal(payload: bytes, recipients: Sequence[Recipient], aad: bytes) -> Sealed:
    """Encrypt `payload` under a new data key and grant it to each distinct recipient."""
    data_key = DataKey.generate()
    grants = grants_for(data_key, recipients)
    return Sealed(body=seal_with_key(payload, data_key, aad), grants=grants)


def open_data_key(grants: Iterable[Grant], private_key: PrivateKey) -> DataKey:
    """The data key from this private key's grant; DecryptionError if it has none that opens."""
    if not isinstance(private_key, PrivateKey):
        raise TypeError("expected a PrivateKey")
    public = bytes(private_key.public_key)
    own_id = keys.key_id(public)
    found = False
    for grant in grants:
        if grant.recipient_id != own_id:
            continue
        found = True
        try:
            raw = sodium.crypto_box_seal_open(grant.sealed_key, public, bytes(private_key))
        except nacl.exceptions.CryptoError:
            continue  # a damaged duplicate must not hide a good grant for the same key
        if len(raw) == DATA_KEY_SIZE:
            return DataKey(raw)
    if not found:
        raise DecryptionError("no grant for this key")
    raise DecryptionError("the grant for this key does not open")


def open_sealed_key(sealed_key: bytes, private_key: PrivateKey) -> DataKey:
    """The data key from one grant's sealed key, for a caller that already picked the grant
    made for this key (a search over many envelopes); DecryptionError if it does not open."""
    try:
        raw = sodium.crypto_box_seal_open(
            bytes(sealed_key), bytes(private_key.public_key), bytes(private_key)
        )
    except nacl.exceptions.CryptoError:
        raise DecryptionError("the grant for this key does not open") from None
    if len(raw) != DATA_KEY_SIZE:
        raise DecryptionError("the grant for this key does not open")
    return DataKey(raw)


def open_body(body: bytes, data_key: DataKey, aad: bytes) -> bytes:
    """The payload of `body`; DecryptionError if key, aad or any byte is wrong."""
    if isinstance(body, bytearray | memoryview):
        body = bytes(body)  # as a database driver may return it
    if not isinstance(body, bytes):
        raise TypeError("body must be bytes")
    _check_aad(aad)
    if not body:
        raise FormatError("empty envelope body")
    if body[:1] != _BODY_PREFIX:
        raise FormatError("unknown envelope body version")
    if len(body) < MIN_BODY_SIZE:
        raise DecryptionError("envelope body is truncated")
    nonce = body[1 : 1 + NONCE_SIZE]
    try:
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            body[1 + NONCE_SIZE :], _BODY_PREFIX + aad, nonce, data_key.expose_secret()
        )
    except nacl.exceptions.CryptoError:
        raise DecryptionError("envelope body does not open with this key and context") from None


def open_envelope(
    body: bytes, grants: Iterable[Grant], private_key: PrivateKey, aad: bytes
) -> bytes:
    return open_body(body, open_data_key(grants, private_key), aad)


# --- self-contained serialisation ---------------------------------------------------------


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _unb64(text: bytes) -> bytes:
    """Strict unpadded base64: only the canonical spelling of a value is accepted."""
    try:
        raw = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise FormatError("invalid base64 in envelope header") from None
    if _b64(raw) != text:
        raise FormatError("non-canonical base64 in envelope header")
    return raw


def to_bytes(sealed: Sealed) -> bytes:
    if not sealed.grants:
        raise ValueError("an envelope without grants cannot be opened by anyone")
    if len({grant.recipient_id for grant in sealed.grants}) != len(sealed.grants):
        raise ValueError("duplicate recipient: the serialised form would not read back")
    lines = [MAGIC]
    for grant in sealed.grants:
        lines.append(_STANZA_PREFIX + grant.recipient_id.encode("ascii"))
        lines.append(_b64(grant.sealed_key))
    lines.append(_HEADER_END)
    return b"\n".join(lines) + b"\n" + sealed.body


def _read_line(data: bytes, pos: int) -> tuple[bytes, int]:
    end = data.find(b"\n", pos, pos + _MAX_HEADER_LINE + 1)
    if end < 0:
        raise FormatError("envelope header is truncated or has an overlong line")
    return data[pos:end], end + 1


def from_bytes(data: bytes) -> Sealed:
    """Parse `to_bytes` output; FormatError on anything else. Authenticity is checked on open."""
    if not isinstance(data, bytes):
        raise TypeError("data must be bytes")
    line, pos = _read_line(data, 0)
    if line != MAGIC:
        raise FormatError("not an Adal envelope (or an unknown version)")
    grants: list[Grant] = []
    seen: set[str] = set()
    while True:
        line, pos = _read_line(data, pos)
        if line == _HEADER_END:
            break
        if not line.startswith(_STANZA_PREFIX):
            raise FormatError("unknown envelope stanza")
        recipient_id = line[len(_STANZA_PREFIX) :].decode("ascii", errors="replace")
        if recipient_id in seen:
            raise FormatError("duplicate recipient in envelope")
        seen.add(recipient_id)
        line, pos = _read_line(data, pos)
        if len(line) != _SEALED_B64_CHARS:
            raise FormatError("sealed key has the wrong length")
        grants.append(Grant(recipient_id=recipient_id, sealed_key=_unb64(line)))
    if not grants:
        raise FormatError("envelope has no recipients")
    body = data[pos:]
    if body[:1] != _BODY_PREFIX:
        raise FormatError("missing or unknown envelope body version")
    return Sealed(body=body, grants=grants)
