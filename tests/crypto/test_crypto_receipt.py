from __future__ import annotations

import random

import pytest

from crypto import receipt
from crypto.receipt import ReceiptChecksumError, ReceiptFormatError

# A fixed seed keeps the exhaustive checks deterministic; the codes themselves come from
# receipt.generate() elsewhere.
_RNG = random.Random(20260401)


def _random_valid_code() -> str:
    body = "".join(_RNG.choice("0123456789") for _ in range(19))
    return body + receipt.damm_digit(body)


SAMPLE_CODES = [_random_valid_code() for _ in range(20)]


def test_damm_digit_known_vector() -> None:
    # The worked example from Damm's algorithm description: 572 → 4.
    assert receipt.damm_digit("572") == "4"
    assert receipt.damm_digit("5724") == "0"
    assert receipt.damm_digit("") == "0"


def test_damm_digit_rejects_non_ascii_digits() -> None:
    with pytest.raises(ReceiptFormatError):
        receipt.damm_digit("12a")
    with pytest.raises(ReceiptFormatError):
        receipt.damm_digit("１２")  # full-width digits are for normalize, not here


def test_generate_gives_valid_20_digit_codes() -> None:
    codes = [receipt.generate() for _ in range(300)]
    for code in codes:
        assert len(code) == receipt.CODE_DIGITS == 20
        assert code.isascii() and code.isdigit()
        assert receipt.is_valid(code)
        assert receipt.normalize(code) == code
    assert len(set(codes)) == len(codes)
    # Leading digits must range over 0-9 (zero-padded, not a random integer printed bare).
    assert {code[0] for code in codes} == set("0123456789")


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_every_single_digit_error_is_caught(code: str) -> None:
    for position in range(receipt.CODE_DIGITS):
        for digit in "0123456789":
            if digit == code[position]:
                continue
            typo = code[:position] + digit + code[position + 1 :]
            assert not receipt.is_valid(typo)
            with pytest.raises(ReceiptChecksumError):
                receipt.normalize(typo)


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_every_adjacent_transposition_is_caught(code: str) -> None:
    for position in range(receipt.CODE_DIGITS - 1):
        a, b = code[position], code[position + 1]
        if a == b:
            continue
        swapped = code[:position] + b + a + code[position + 2 :]
        assert not receipt.is_valid(swapped)
        with pytest.raises(ReceiptChecksumError):
            receipt.normalize(swapped)


@pytest.mark.parametrize(
    "value",
    ["", "1234", "0" * 19, "0" * 21, "０" * 20, "1234 5678 9012 3456 7890", None, 12345],
)
def test_is_valid_is_strict_and_never_raises(value: object) -> None:
    assert receipt.is_valid(value) is False  # type: ignore[arg-type]


def test_is_valid_accepts_all_zeros() -> None:
    # Damm of all zeros is 0, so this is a (terrible but) well-formed code.
    assert receipt.is_valid("0" * 20)


def test_format_code_groups_of_four() -> None:
    code = "1234567890123456789" + receipt.damm_digit("1234567890123456789")
    assert receipt.format_code(code) == f"1234 5678 9012 3456 789{code[-1]}"
    for sample in SAMPLE_CODES:
        assert receipt.normalize(receipt.format_code(sample)) == sample


@pytest.mark.parametrize("bad", ["", "123", "1234 5678 9012 3456 7890", "a" * 20, "１" * 20])
def test_format_code_takes_normalised_codes_only(bad: str) -> None:
    with pytest.raises(ReceiptFormatError):
        receipt.format_code(bad)


@pytest.mark.parametrize("code", SAMPLE_CODES[:5])
def test_normalize_accepts_what_people_type(code: str) -> None:
    groups = receipt.format_code(code).split(" ")
    full_width = code.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    arabic_indic = code.translate({ord(d): 0x0660 + int(d) for d in "0123456789"})
    variants = [
        "-".join(groups[:2]) + " " + " ".join(groups[2:]),  # "1234-5678 9012 3456 7890"
        "-".join(groups),
        "\u00a0".join(groups),  # NBSP
        "\u2013".join(groups),  # en dash
        "\u2014".join(groups),  # em dash
        "\u2212".join(groups),  # minus sign
        "\u200b".join(groups),  # zero-width space
        "\u3000".join(groups),  # ideographic space
        "\t" + "\n".join(groups) + "\r\n",
        f"  {code}  ",
        full_width,
        "\uff0d".join(groups).translate({ord(d): 0xFF10 + int(d) for d in "0123456789"}),
        arabic_indic,
        code[:10] + full_width[10:],
    ]
    for text in variants:
        assert receipt.normalize(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "",
        "    ",
        "1234",
        "1234 5678 9012 3456 789",  # 19 digits
        "1234 5678 9012 3456 7890 1",  # 21 digits
        "1234.5678.9012.3456.7890",
        "1234/5678/9012/3456/7890",
        "+1234 5678 9012 3456 7890",
        "1234 5678 9012 3456 789O",  # letter O
        "1234 5678 9012 3456 789²",  # superscript is not a decimal digit
        "1234 5678 9012 3456 789①",
        "'; DROP TABLE reports; --",
        "\x00" * 20,
    ],
)
def test_normalize_rejects_junk(text: str) -> None:
    with pytest.raises(ReceiptFormatError):
        receipt.normalize(text)


def test_normalize_rejects_long_input_before_looking_at_it() -> None:
    code = SAMPLE_CODES[0]
    padded = code + " " * (receipt.MAX_INPUT_LENGTH - len(code) + 1)
    with pytest.raises(ReceiptFormatError):
        receipt.normalize(padded)
    with pytest.raises(ReceiptFormatError):
        receipt.normalize("1" * 10_000_000)
    # At the limit, separators are still fine.
    at_limit = code + " " * (receipt.MAX_INPUT_LENGTH - len(code))
    assert receipt.normalize(at_limit) == code


def test_normalize_rejects_non_text() -> None:
    with pytest.raises(ReceiptFormatError):
        receipt.normalize(b"12345678901234567890")  # type: ignore[arg-type]


def test_errors_are_value_errors_and_do_not_echo_the_code() -> None:
    assert issubclass(ReceiptFormatError, ValueError)
    assert issubclass(ReceiptChecksumError, ValueError)
    code = SAMPLE_CODES[1]
    typo = code[:-1] + str((int(code[-1]) + 1) % 10)
    with pytest.raises(ReceiptChecksumError) as checksum:
        receipt.normalize(typo)
    with pytest.raises(ReceiptFormatError) as fmt:
        receipt.normalize(code + "x")
    for exc in (checksum.value, fmt.value):
        assert code[:12] not in str(exc)
        assert typo[:12] not in str(exc)
