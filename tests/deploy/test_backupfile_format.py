"""The backup container's byte format: a file written before `crypto/` took over its
primitives opens, and what is written now opens with the same format rules.

The vector below was written by the pre-refactor `installation/backupfile.py` (commit beb68fc)
with 64-byte frames, so it has a passphrase frame, three full frames and a short final one.
"""

from __future__ import annotations

import io

import pytest

from crypto.kdf import KdfParams
from installation import backupfile

PASSPHRASE = "correct horse battery staple"
PLAINTEXT = bytes(range(200))
FAST = KdfParams(time_cost=1, memory_kib=8192)
VECTOR = bytes.fromhex(
    "6164616c2d6261636b75702f76310a01000000010000200001e3c9b8c8d755be0ac97c64cdbcee814607d12c"
    "92d264bace17aaea27e37e00c6ea9532a8e227bac8000000150fb6247e3c322e329f40f7de631deb56dbc565"
    "906a00000051593b916af9892df3593f68e3d3bb5fd1f25e077747a8895a93307a37c3fe48d11542bbacc962"
    "cf0179d1e307e3a2d84cbe8045e7fc3097a643ab0fa49c58c58c3a1809b2028a394f411e512e605383d01d00"
    "0000519e030dca0c12cbba9c7f9772c557091cbae7b54e6d25a7cce86f6cd1b8fa1dbdc59b2a1ddb94ff5365"
    "7520e6aa5acce0c465e79d25dbda97172c9b33027ff43b65f34a846d2290f81e7bbed7d150173b0c00000051"
    "9b5d53c37538b641b3a1dec5a855b406af9fbc1460a7c06e5ab7d37dccf1535d9f6c0501b842ab702b2cbcd1"
    "a88d9f94a7cddad2514d1e3b34b51173aa8ec4e440e2525f1a9cd4ca0249d5790b8b124cd70000001946f644"
    "07c3c85c01bc8e97d043f16c5571b8c94c5e0bfdc472"
)


def test_a_backup_written_before_the_refactor_opens() -> None:
    frames = backupfile.open_stream(io.BytesIO(VECTOR), PASSPHRASE)
    assert b"".join(frames) == PLAINTEXT


def test_the_vector_refuses_a_wrong_passphrase() -> None:
    with pytest.raises(backupfile.WrongPassphrase):
        backupfile.open_stream(io.BytesIO(VECTOR), PASSPHRASE + "!")


def test_the_vector_refuses_truncation() -> None:
    frames = backupfile.open_stream(io.BytesIO(VECTOR[:-1]), PASSPHRASE)
    with pytest.raises(backupfile.BackupError):
        b"".join(frames)


def test_a_new_backup_has_the_same_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backupfile, "FRAME_SIZE", 64)
    out = io.BytesIO()
    writer = backupfile.BackupWriter(out, PASSPHRASE, FAST)
    writer.write(PLAINTEXT[:150])
    writer.write(PLAINTEXT[150:])
    writer.close()
    blob = out.getvalue()
    # Same preamble fields and the same frame lengths; only the salt and nonces differ.
    assert len(blob) == len(VECTOR) == writer.written
    assert blob[: backupfile.PREAMBLE_SIZE - 40] == VECTOR[: backupfile.PREAMBLE_SIZE - 40]
    assert b"".join(backupfile.open_stream(io.BytesIO(blob), PASSPHRASE)) == PLAINTEXT
