from __future__ import annotations

import hashlib
from typing import Any

import pytest
from argon2.low_level import Type, hash_secret_raw
from nacl.public import PrivateKey

from crypto import kdf, receipt
from crypto.errors import FormatError
from crypto.kdf import KdfParams, ReceiptSecrets

# Pinned derivation: every stored lookup tag and mailbox key depends on these exact bytes.
# If this test fails, existing receipt codes no longer find their cases.
KAT_CODE = "12345678901234567891"
KAT_SALT = bytes(range(16))
KAT_LOOKUP = "c54e42a9ad29dd71dd22db675eb44f71919eae54714b9292969d4c0d2d7e0ca1"
KAT_SEED = "cb38679ee5fecedafc7c7131901995aa68162f3ea0f59dbc85a6899658aa47f0"
KAT_MAILBOX_PUBLIC = "df8c223e76f589d9b11a77286adda2002dea035e4865c8d6742d534084c00c5a"
KAT_PASSWORD = "correct horse battery staple"
KAT_WRAPPING = "13fa4766d8311ca7c5d274bb3867fbaf47cf103160bf4e32e4e52c12ff9ec06e"


def _argon2id_fast(secret: bytes) -> bytes:
    """The documented Argon2id step with the `fast_params` settings, computed here directly."""
    return hash_secret_raw(
        secret, KAT_SALT, time_cost=1, memory_cost=8192, parallelism=1, hash_len=32, type=Type.ID
    )


# --- KdfParams -----------------------------------------------------------------------------


def test_params_defaults_match_the_design() -> None:
    params = KdfParams()
    assert (params.version, params.time_cost, params.memory_kib, params.parallelism) == (
        1,
        3,
        65536,
        1,
    )


def test_params_dict_round_trip(fast_params: KdfParams) -> None:
    for params in (KdfParams(), fast_params, KdfParams(time_cost=4, memory_kib=262144)):
        data = params.to_dict()
        assert data == {
            "version": params.version,
            "time_cost": params.time_cost,
            "memory_kib": params.memory_kib,
            "parallelism": params.parallelism,
        }
        assert KdfParams.from_dict(data) == params


def test_params_bytes_round_trip(fast_params: KdfParams) -> None:
    for params in (KdfParams(), fast_params, KdfParams(time_cost=64, parallelism=16)):
        raw = params.to_bytes()
        assert len(raw) == kdf.PARAMS_SIZE == 10
        assert raw[0] == 1  # the version comes first so the layout can change later
        assert KdfParams.from_bytes(raw) == params


@pytest.mark.parametrize(
    "changes",
    [
        {"version": 2},
        {"version": 0},
        {"time_cost": 0},
        {"time_cost": 65},
        {"memory_kib": 8191},
        {"memory_kib": 4 * 1024 * 1024 + 1},
        {"parallelism": 0},
        {"parallelism": 17},
        {"time_cost": True},
        {"time_cost": "3"},
        {"memory_kib": 65536.0},
    ],
)
def test_params_refuse_insane_values(changes: dict[str, Any]) -> None:
    data = {**KdfParams().to_dict(), **changes}
    with pytest.raises(FormatError):
        KdfParams.from_dict(data)
    with pytest.raises(FormatError):
        KdfParams(**data)


@pytest.mark.parametrize(
    "data",
    [
        {"version": 1, "time_cost": 3, "memory_kib": 65536},
        {"version": 1, "time_cost": 3, "memory_kib": 65536, "parallelism": 1, "salt": "x"},
        {"version": 1, "time_cost": 3, "memory_kb": 65536, "parallelism": 1},
        {},
        [],
        "v=1,t=3",
    ],
)
def test_params_from_dict_refuses_wrong_shapes(data: Any) -> None:
    with pytest.raises(FormatError):
        KdfParams.from_dict(data)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        KdfParams().to_bytes()[:-1],
        KdfParams().to_bytes() + b"\x00",
        b"\x02" + KdfParams().to_bytes()[1:],
        bytes(10),
        b"\x01" + (0xFFFFFFFF).to_bytes(4, "big") * 2 + b"\x01",
    ],
)
def test_params_from_bytes_refuses_malformed(raw: bytes) -> None:
    with pytest.raises(FormatError):
        KdfParams.from_bytes(raw)


def test_params_are_immutable() -> None:
    with pytest.raises(AttributeError):
        KdfParams().time_cost = 1  # type: ignore[misc]


# --- receipt derivation --------------------------------------------------------------------


def test_receipt_derivation_known_answer(fast_params: KdfParams) -> None:
    secrets = kdf.derive_receipt_secrets(KAT_CODE, KAT_SALT, fast_params)
    assert secrets.lookup_tag.hex() == KAT_LOOKUP
    assert secrets.mailbox_seed.hex() == KAT_SEED
    public = kdf.mailbox_private_key(secrets.mailbox_seed).public_key
    assert bytes(public).hex() == KAT_MAILBOX_PUBLIC


def test_receipt_derivation_follows_the_spec(fast_params: KdfParams) -> None:
    """Recompute the documented construction with hashlib, an independent BLAKE2b."""
    master = _argon2id_fast(b"adal/receipt-code/v1\x00" + KAT_CODE.encode())
    secrets = kdf.derive_receipt_secrets(KAT_CODE, KAT_SALT, fast_params)
    assert (
        secrets.lookup_tag
        == hashlib.blake2b(master, digest_size=32, person=b"adal-lookup-tag").digest()
    )
    assert (
        secrets.mailbox_seed
        == hashlib.blake2b(master, digest_size=32, person=b"adal-mbox-seed").digest()
    )


def test_receipt_derivation_with_default_params() -> None:
    code = receipt.generate()
    salt = kdf.new_salt()
    first = kdf.derive_receipt_secrets(code, salt, KdfParams())
    second = kdf.derive_receipt_secrets(receipt.format_code(code), salt, KdfParams())
    assert first == second
    assert len(first.lookup_tag) == len(first.mailbox_seed) == 32


def test_receipt_derivation_depends_on_every_input(fast_params: KdfParams) -> None:
    code = receipt.generate()
    other_code = receipt.generate()
    salt = kdf.new_salt()
    base = kdf.derive_receipt_secrets(code, salt, fast_params)
    variants = [
        kdf.derive_receipt_secrets(other_code, salt, fast_params),
        kdf.derive_receipt_secrets(code, kdf.new_salt(), fast_params),
        kdf.derive_receipt_secrets(code, salt, KdfParams(time_cost=2, memory_kib=8192)),
        kdf.derive_receipt_secrets(code, salt, KdfParams(time_cost=1, memory_kib=16384)),
    ]
    for variant in variants:
        assert variant.lookup_tag != base.lookup_tag
        assert variant.mailbox_seed != base.mailbox_seed
    assert base.lookup_tag != base.mailbox_seed


def test_receipt_derivation_accepts_typed_forms(fast_params: KdfParams) -> None:
    code = receipt.generate()
    salt = kdf.new_salt()
    plain = kdf.derive_receipt_secrets(code, salt, fast_params)
    typed = "-".join(receipt.format_code(code).split()).translate(
        {ord(d): 0xFF10 + int(d) for d in "0123456789"}
    )
    assert kdf.derive_receipt_secrets(typed, salt, fast_params) == plain


def test_a_mistyped_code_fails_before_any_argon2_work(
    monkeypatch: pytest.MonkeyPatch, fast_params: KdfParams
) -> None:
    def forbidden(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("Argon2 must not run for a code that fails its check digit")

    monkeypatch.setattr(kdf, "hash_secret_raw", forbidden)
    code = receipt.generate()
    typo = code[:3] + str((int(code[3]) + 1) % 10) + code[4:]
    with pytest.raises(receipt.ReceiptChecksumError):
        kdf.derive_receipt_secrets(typo, kdf.new_salt(), fast_params)
    with pytest.raises(receipt.ReceiptFormatError):
        kdf.derive_receipt_secrets("not a code", kdf.new_salt(), fast_params)


@pytest.mark.parametrize("salt", [b"", bytes(15), "0123456789abcdef"])
def test_short_or_non_bytes_salt_is_refused(salt: Any, fast_params: KdfParams) -> None:
    with pytest.raises(ValueError):
        kdf.derive_receipt_secrets(KAT_CODE, salt, fast_params)
    with pytest.raises(ValueError):
        kdf.derive_wrapping_key("password", salt, fast_params)


def test_longer_salt_is_accepted(fast_params: KdfParams) -> None:
    assert len(kdf.derive_receipt_secrets(KAT_CODE, bytes(32), fast_params).lookup_tag) == 32


def test_params_must_be_kdf_params() -> None:
    with pytest.raises(TypeError):
        kdf.derive_receipt_secrets(KAT_CODE, KAT_SALT, {"time_cost": 1})  # type: ignore[arg-type]


def test_receipt_secrets_hide_their_values(fast_params: KdfParams) -> None:
    secrets = kdf.derive_receipt_secrets(KAT_CODE, KAT_SALT, fast_params)
    text = repr(secrets) + str(secrets)
    assert KAT_LOOKUP[:16] not in text and KAT_SEED[:16] not in text
    assert secrets.lookup_tag.hex() not in text
    with pytest.raises(ValueError):
        ReceiptSecrets(lookup_tag=bytes(31), mailbox_seed=bytes(32))


# --- mailbox key ---------------------------------------------------------------------------


def test_mailbox_key_is_deterministic_from_the_seed() -> None:
    seed = bytes(range(32))
    first = kdf.mailbox_private_key(seed)
    assert isinstance(first, PrivateKey)
    assert bytes(first) == bytes(kdf.mailbox_private_key(seed))
    assert bytes(first.public_key) == bytes(PrivateKey.from_seed(seed).public_key)
    assert bytes(kdf.mailbox_private_key(bytes(32))) != bytes(first)


@pytest.mark.parametrize("seed", [b"", bytes(31), bytes(33)])
def test_mailbox_key_needs_a_32_byte_seed(seed: bytes) -> None:
    with pytest.raises(ValueError):
        kdf.mailbox_private_key(seed)


# --- password wrapping key -----------------------------------------------------------------


def test_wrapping_key_known_answer(fast_params: KdfParams) -> None:
    key = kdf.derive_wrapping_key(KAT_PASSWORD, KAT_SALT, fast_params)
    assert key.hex() == KAT_WRAPPING
    expected = _argon2id_fast(b"adal/staff-password/v1\x00" + KAT_PASSWORD.encode())
    assert key == expected


def test_wrapping_key_is_domain_separated_from_receipts(fast_params: KdfParams) -> None:
    # Same string, same salt, same params: the two derivations must still differ.
    wrapping = kdf.derive_wrapping_key(KAT_CODE, KAT_SALT, fast_params)
    receipt_master = _argon2id_fast(b"adal/receipt-code/v1\x00" + KAT_CODE.encode())
    secrets = kdf.derive_receipt_secrets(KAT_CODE, KAT_SALT, fast_params)
    assert wrapping not in (receipt_master, secrets.lookup_tag, secrets.mailbox_seed)


def test_wrapping_key_depends_on_password_and_salt(fast_params: KdfParams) -> None:
    salt = kdf.new_salt()
    key = kdf.derive_wrapping_key("password one", salt, fast_params)
    assert len(key) == 32
    assert key == kdf.derive_wrapping_key("password one", salt, fast_params)
    assert key != kdf.derive_wrapping_key("password two", salt, fast_params)
    assert key != kdf.derive_wrapping_key("password one", kdf.new_salt(), fast_params)


def test_wrapping_key_normalises_unicode(fast_params: KdfParams) -> None:
    salt = kdf.new_salt()
    composed = "Қазақстан-café"
    decomposed = "Қазақстан-cafe\u0301"
    assert composed != decomposed
    assert kdf.derive_wrapping_key(composed, salt, fast_params) == kdf.derive_wrapping_key(
        decomposed, salt, fast_params
    )
    assert kdf.derive_wrapping_key("ｐａｓｓ１", salt, fast_params) == kdf.derive_wrapping_key(
        "pass1", salt, fast_params
    )


def test_wrapping_key_refuses_empty_password(fast_params: KdfParams) -> None:
    with pytest.raises(ValueError):
        kdf.derive_wrapping_key("", kdf.new_salt(), fast_params)


def test_new_salt_is_16_fresh_bytes() -> None:
    salts = {kdf.new_salt() for _ in range(100)}
    assert len(salts) == 100
    assert all(len(salt) == 16 for salt in salts)
