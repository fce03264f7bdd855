from __future__ import annotations

import base64
import hashlib
import re
import string

import pytest
from nacl.public import PrivateKey, PublicKey

from crypto import keys
from crypto.errors import DecryptionError, FormatError, WrongPassword
from crypto.kdf import KdfParams

PASSWORD = "a long enough staff password"

# Fixed keys keep the checksum tests deterministic: a 32-bit checksum could in principle let one
# specific typo through, and a random key would turn that into a once-in-a-billion flaky test.
FIXED_RECOVERY_KEYS = [PrivateKey(bytes(range(32))), PrivateKey(bytes(32 * [0xA5]))]


# --- key ids -------------------------------------------------------------------------------


def test_key_id_is_a_blake2b_128_fingerprint(alice: PrivateKey) -> None:
    raw = bytes(alice.public_key)
    kid = keys.key_id(raw)
    assert re.fullmatch(r"[0-9a-f]{32}", kid)
    assert kid == hashlib.blake2b(raw, digest_size=16, person=b"adal-key-id").hexdigest()
    assert keys.key_id(alice.public_key) == kid


def test_key_id_known_answer() -> None:
    assert keys.key_id(bytes(range(32))) == "adbaaf0da2ff7c5cecef605180fe05eb"


def test_key_ids_differ_between_keys(alice: PrivateKey, bob: PrivateKey) -> None:
    assert keys.key_id(alice.public_key) != keys.key_id(bob.public_key)


def test_key_id_refuses_a_private_key(alice: PrivateKey) -> None:
    with pytest.raises(TypeError):
        keys.key_id(alice)  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", [b"", bytes(31), bytes(33), "a" * 32])
def test_key_id_refuses_wrong_sizes(raw: bytes) -> None:
    with pytest.raises(ValueError):
        keys.key_id(raw)


def test_generate_keypair_gives_distinct_private_keys() -> None:
    first, second = keys.generate_keypair(), keys.generate_keypair()
    assert isinstance(first, PrivateKey)
    assert bytes(first) != bytes(second)


# --- wrapping ------------------------------------------------------------------------------


def test_wrap_unwrap_round_trip(alice: PrivateKey, fast_params: KdfParams) -> None:
    blob = keys.wrap_private_key(alice, PASSWORD, fast_params)
    assert len(blob) == keys.WRAPPED_SIZE == 139
    assert blob.startswith(b"adal-key\x01")
    assert bytes(alice) not in blob
    unwrapped = keys.unwrap_private_key(blob, PASSWORD)
    assert bytes(unwrapped) == bytes(alice)
    assert keys.wrapped_public_key(blob) == bytes(alice.public_key)
    assert keys.wrapped_params(blob) == fast_params


def test_wrapping_twice_uses_a_fresh_salt(alice: PrivateKey, fast_params: KdfParams) -> None:
    first = keys.wrap_private_key(alice, PASSWORD, fast_params)
    second = keys.wrap_private_key(alice, PASSWORD, fast_params)
    assert first != second
    salt_at = len(b"adal-key\x01") + 10
    assert first[salt_at : salt_at + 16] != second[salt_at : salt_at + 16]


def test_wrap_defaults_to_design_params(alice: PrivateKey) -> None:
    blob = keys.wrap_private_key(alice, PASSWORD)
    assert keys.wrapped_params(blob) == KdfParams()


def test_wrong_password_is_refused(alice: PrivateKey, fast_params: KdfParams) -> None:
    blob = keys.wrap_private_key(alice, PASSWORD, fast_params)
    for wrong in ("a long enough staff passwore", PASSWORD.upper(), PASSWORD + " ", "x"):
        with pytest.raises(WrongPassword):
            keys.unwrap_private_key(blob, wrong)
    assert issubclass(WrongPassword, DecryptionError)


def test_unicode_password_forms_unwrap_the_same_key(
    alice: PrivateKey, fast_params: KdfParams
) -> None:
    blob = keys.wrap_private_key(alice, "Алматы-café-2026", fast_params)
    unwrapped = keys.unwrap_private_key(blob, "Алматы-cafe\u0301-2026")
    assert bytes(unwrapped) == bytes(alice)


def _flip(blob: bytes, index: int) -> bytes:
    return blob[:index] + bytes([blob[index] ^ 0x01]) + blob[index + 1 :]


def test_tampering_is_detected_everywhere(alice: PrivateKey, fast_params: KdfParams) -> None:
    blob = keys.wrap_private_key(alice, PASSWORD, fast_params)
    params_at = len(b"adal-key\x01")
    salt_at = params_at + 10
    public_at = salt_at + 16
    box_at = public_at + 32
    # Salt, nonce and ciphertext: a different key or a failed MAC, reported as WrongPassword.
    for index in [salt_at, salt_at + 15, box_at, box_at + 23, box_at + 24, len(blob) - 1]:
        with pytest.raises(WrongPassword):
            keys.unwrap_private_key(_flip(blob, index), PASSWORD)
    # The recorded public key is not in the box, so it is compared after opening.
    for index in [public_at, public_at + 31]:
        with pytest.raises(DecryptionError) as caught:
            keys.unwrap_private_key(_flip(blob, index), PASSWORD)
        assert not isinstance(caught.value, WrongPassword)


def test_changed_params_do_not_unwrap(alice: PrivateKey, fast_params: KdfParams) -> None:
    blob = keys.wrap_private_key(alice, PASSWORD, fast_params)
    params_at = len(b"adal-key\x01")
    stronger = KdfParams(time_cost=2, memory_kib=8192).to_bytes()
    forged = blob[:params_at] + stronger + blob[params_at + 10 :]
    with pytest.raises(WrongPassword):
        keys.unwrap_private_key(forged, PASSWORD)


def test_swapped_public_key_is_detected(
    alice: PrivateKey, bob: PrivateKey, fast_params: KdfParams
) -> None:
    blob = keys.wrap_private_key(alice, PASSWORD, fast_params)
    public_at = len(b"adal-key\x01") + 10 + 16
    forged = blob[:public_at] + bytes(bob.public_key) + blob[public_at + 32 :]
    assert keys.wrapped_public_key(forged) == bytes(bob.public_key)
    with pytest.raises(DecryptionError):
        keys.unwrap_private_key(forged, PASSWORD)


def test_malformed_blobs_are_format_errors(alice: PrivateKey, fast_params: KdfParams) -> None:
    blob = keys.wrap_private_key(alice, PASSWORD, fast_params)
    params_at = len(b"adal-key\x01")
    malformed = [
        b"",
        blob[:-1],
        blob + b"\x00",
        blob[: len(blob) // 2],
        b"adal-kez" + blob[8:],
        b"adal-key\x02" + blob[9:],
        blob[:params_at] + b"\x09" + blob[params_at + 1 :],  # unknown params version
        blob[:params_at] + bytes(10) + blob[params_at + 10 :],  # zero costs
        bytes(len(blob)),
    ]
    for bad in malformed:
        with pytest.raises(FormatError):
            keys.unwrap_private_key(bad, PASSWORD)
        with pytest.raises(FormatError):
            keys.wrapped_public_key(bad)
    with pytest.raises(FormatError):
        keys.unwrap_private_key(bytearray(blob), PASSWORD)  # type: ignore[arg-type]


def test_wrap_refuses_non_private_keys(alice: PrivateKey, fast_params: KdfParams) -> None:
    with pytest.raises(TypeError):
        keys.wrap_private_key(alice.public_key, PASSWORD, fast_params)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        keys.wrap_private_key(alice, "", fast_params)


def test_rewrap_keeps_the_key_and_retires_the_old_password(
    alice: PrivateKey, fast_params: KdfParams
) -> None:
    blob = keys.wrap_private_key(alice, PASSWORD, fast_params)
    rewrapped = keys.rewrap_private_key(blob, PASSWORD, "the new password")
    assert bytes(keys.unwrap_private_key(rewrapped, "the new password")) == bytes(alice)
    assert keys.wrapped_public_key(rewrapped) == keys.wrapped_public_key(blob)
    with pytest.raises(WrongPassword):
        keys.unwrap_private_key(rewrapped, PASSWORD)
    # Without explicit params the blob keeps its own: a password change never lowers the cost.
    assert keys.wrapped_params(rewrapped) == fast_params


def test_rewrap_can_raise_params(alice: PrivateKey, fast_params: KdfParams) -> None:
    blob = keys.wrap_private_key(alice, PASSWORD, fast_params)
    stronger = KdfParams(time_cost=2, memory_kib=16384)
    rewrapped = keys.rewrap_private_key(blob, PASSWORD, "the new password", stronger)
    assert keys.wrapped_params(rewrapped) == stronger
    assert bytes(keys.unwrap_private_key(rewrapped, "the new password")) == bytes(alice)


def test_rewrap_needs_the_old_password(alice: PrivateKey, fast_params: KdfParams) -> None:
    blob = keys.wrap_private_key(alice, PASSWORD, fast_params)
    with pytest.raises(WrongPassword):
        keys.rewrap_private_key(blob, "not the password", "the new password")


# --- recovery key --------------------------------------------------------------------------


def _body(text: str) -> str:
    return text.removeprefix(keys.RECOVERY_PREFIX).replace("-", "")


def test_recovery_key_round_trip() -> None:
    text, public = keys.generate_recovery_key()
    assert isinstance(public, bytes) and len(public) == 32
    assert text.startswith("ADAL-RECOVERY-1-")
    groups = text.removeprefix("ADAL-RECOVERY-1-").split("-")
    assert all(len(group) == 4 for group in groups[:-1]) and 1 <= len(groups[-1]) <= 4
    assert set(_body(text)) <= set(string.ascii_uppercase + "234567")
    private = keys.parse_recovery_key(text)
    assert bytes(private.public_key) == public


def test_recovery_keys_are_fresh() -> None:
    assert keys.generate_recovery_key()[0] != keys.generate_recovery_key()[0]


def test_recovery_key_format_is_base32_with_checksum() -> None:
    private = FIXED_RECOVERY_KEYS[0]
    text = keys.format_recovery_key(private)
    decoded = base64.b32decode(_body(text) + "======")
    assert decoded[:32] == bytes(private)
    assert (
        decoded[32:]
        == hashlib.blake2b(bytes(private), digest_size=4, person=b"adal-recovery-1").digest()
    )


@pytest.mark.parametrize("private", FIXED_RECOVERY_KEYS)
def test_recovery_key_parse_is_forgiving_about_layout(private: PrivateKey) -> None:
    text = keys.format_recovery_key(private)
    body = _body(text)
    variants = [
        text.lower(),
        text.replace("-", " "),
        "ADAL-RECOVERY-1-" + body,
        "adal recovery 1 " + " ".join(body[i : i + 8] for i in range(0, len(body), 8)),
        "\n  " + text.replace("-", "\n", 5) + "\n",
        text.replace("-", "\u2013"),  # en dash from a word processor
        "ADAL-RECOVERY-1-" + body.replace("O", "0").replace("I", "1").replace("B", "8"),
    ]
    for variant in variants:
        assert bytes(keys.parse_recovery_key(variant)) == bytes(private)


@pytest.mark.parametrize("private", FIXED_RECOVERY_KEYS)
def test_recovery_key_checksum_catches_every_single_character_typo(private: PrivateKey) -> None:
    body = _body(keys.format_recovery_key(private))
    alphabet = string.ascii_uppercase + "234567"
    for position in range(len(body)):
        for char in alphabet:
            if char == body[position]:
                continue
            typo = "ADAL-RECOVERY-1-" + body[:position] + char + body[position + 1 :]
            with pytest.raises(FormatError):
                keys.parse_recovery_key(typo)


@pytest.mark.parametrize("private", FIXED_RECOVERY_KEYS)
def test_recovery_key_checksum_catches_adjacent_swaps(private: PrivateKey) -> None:
    body = _body(keys.format_recovery_key(private))
    for position in range(len(body) - 1):
        if body[position] == body[position + 1]:
            continue
        swapped = body[:position] + body[position + 1] + body[position] + body[position + 2 :]
        with pytest.raises(FormatError):
            keys.parse_recovery_key("ADAL-RECOVERY-1-" + swapped)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ADAL-RECOVERY-1-",
        "ADAL-RECOVERY-2-" + "A" * 58,
        "ADAL-RECOVERY-" + "A" * 58,
        "RECOVERY-1-" + "A" * 58,
        "ADAL-RECOVERY-1-" + "A" * 57,
        "ADAL-RECOVERY-1-" + "A" * 59,
        "ADAL-RECOVERY-1-" + "9" * 58,
        "ADAL-RECOVERY-1-" + "É" * 58,
        "ADAL-RECOVERY-1-" + "A" * 400,
    ],
)
def test_recovery_key_refuses_malformed_text(text: str) -> None:
    with pytest.raises(FormatError):
        keys.parse_recovery_key(text)


def test_recovery_key_must_be_text() -> None:
    text = keys.format_recovery_key(FIXED_RECOVERY_KEYS[0])
    with pytest.raises(FormatError):
        keys.parse_recovery_key(text.encode())  # type: ignore[arg-type]


def test_recovery_key_errors_do_not_echo_the_key() -> None:
    text = keys.format_recovery_key(FIXED_RECOVERY_KEYS[0])
    typo = text[:-1] + ("A" if text[-1] != "A" else "B")
    with pytest.raises(FormatError) as caught:
        keys.parse_recovery_key(typo)
    assert _body(text)[:8] not in str(caught.value)


def test_recovery_key_opens_what_is_sealed_to_its_public_key() -> None:
    from crypto import envelope

    text, public = keys.generate_recovery_key()
    sealed = envelope.seal(b"report", [PublicKey(public)], b"adal/v1/report/1")
    private = keys.parse_recovery_key(text)
    assert envelope.open_envelope(sealed.body, sealed.grants, private, b"adal/v1/report/1") == (
        b"report"
    )
