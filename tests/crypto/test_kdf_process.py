"""crypto.kdf_process: receipt derivation in a child interpreter gives the same secrets, refuses
typos before any child work, and fails cleanly (never with wrong secrets) when the child dies."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from crypto import kdf, receipt
from crypto.kdf_process import KdfProcess, KdfProcessError, KdfTimeout

PARAMS = kdf.KdfParams(time_cost=1, memory_kib=8192)


@pytest.fixture
def child() -> KdfProcess:
    process = KdfProcess()
    yield process
    process.close()


def test_same_secrets_as_in_process(child: KdfProcess) -> None:
    salt = kdf.new_salt()
    for _ in range(3):  # one child serves request after request
        code = receipt.generate()
        got = child.derive(receipt.format_code(code), salt, PARAMS)
        want = kdf.derive_receipt_secrets(code, salt, PARAMS)
        assert got.lookup_tag == want.lookup_tag
        assert got.mailbox_seed == want.mailbox_seed


def test_parameters_and_salt_reach_the_child(child: KdfProcess) -> None:
    code, salt = receipt.generate(), kdf.new_salt()
    base = child.derive(code, salt, PARAMS)
    assert child.derive(code, kdf.new_salt(), PARAMS).lookup_tag != base.lookup_tag
    stronger = kdf.KdfParams(time_cost=2, memory_kib=8192)
    assert child.derive(code, salt, stronger).lookup_tag != base.lookup_tag


def test_typo_is_refused_before_the_child_sees_it(child: KdfProcess) -> None:
    code = receipt.generate()
    typo = code[:-1] + str((int(code[-1]) + 1) % 10)
    with pytest.raises(receipt.ReceiptChecksumError):
        child.derive(typo, kdf.new_salt(), PARAMS)
    with pytest.raises(receipt.ReceiptFormatError):
        child.derive("12345", kdf.new_salt(), PARAMS)
    # The pipe is still in step: the next real request is answered correctly.
    salt = kdf.new_salt()
    assert child.derive(code, salt, PARAMS) == kdf.derive_receipt_secrets(code, salt, PARAMS)


def test_a_killed_child_is_an_error_not_an_answer(child: KdfProcess) -> None:
    os.kill(child.pid, signal.SIGKILL)
    with pytest.raises(KdfProcessError):
        child.derive(receipt.generate(), kdf.new_salt(), PARAMS)
    assert not child.alive()


def test_child_inherits_no_environment(child: KdfProcess) -> None:
    child.derive(receipt.generate(), kdf.new_salt(), PARAMS)  # running, past its set-up
    if os.geteuid() == 0:
        assert Path(f"/proc/{child.pid}/environ").read_bytes() == b""
    else:
        # Not dumpable: even its own user cannot read it (see the next test).
        with pytest.raises(PermissionError):
            Path(f"/proc/{child.pid}/environ").read_bytes()


def test_child_leaves_no_core_file(child: KdfProcess) -> None:
    child.derive(receipt.generate(), kdf.new_salt(), PARAMS)
    limits = Path(f"/proc/{child.pid}/limits").read_text()
    core = next(line for line in limits.splitlines() if line.startswith("Max core file size"))
    assert core.split()[4:6] == ["0", "0"]


def test_one_child_shared_by_threads_answers_each_its_own() -> None:
    """Requests are serialised per child: never another request's secrets."""
    child = KdfProcess()
    salt = kdf.new_salt()
    codes = [receipt.generate() for _ in range(8)]
    results: dict[str, object] = {}

    def run(code: str) -> None:
        results[code] = child.derive(code, salt, PARAMS)

    try:
        threads = [threading.Thread(target=run, args=(c,)) for c in codes]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for code in codes:
            assert results[code] == kdf.derive_receipt_secrets(code, salt, PARAMS)
    finally:
        child.close()


def test_child_ends_when_its_parent_closes_the_pipe(child: KdfProcess) -> None:
    child.derive(receipt.generate(), kdf.new_salt(), PARAMS)
    child.close()
    assert not child.alive()


def test_a_hung_child_is_killed_after_the_timeout() -> None:
    child = KdfProcess(timeout=0.5)
    try:
        os.kill(child.pid, signal.SIGSTOP)
        with pytest.raises(KdfTimeout):
            child.derive(receipt.generate(), kdf.new_salt(), PARAMS)
        assert not child.alive()
    finally:
        child.close(kill=True)
