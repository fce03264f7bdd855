"""Receipt-code derivation in a child process.

Argon2id is memory-hard on purpose: one receipt derivation takes the installation's KDF memory
(64 MiB by default). Run inside a web worker, that memory lands in the worker's own footprint and
stays there as its high-water mark, beside the uploads it is streaming. A `KdfProcess` runs the
same `kdf.derive_receipt_secrets` in a small child interpreter that imports nothing but this
package, so the worker's memory stays what its pages and uploads need, and the Argon2 memory is
the child's alone.

Wire format over the child's stdin/stdout, one request at a time:

    request   KdfParams.to_bytes() (10) ‖ u8 salt length ‖ salt ‖ u8 code length ‖ code digits
    response  0x00 ‖ lookup tag (32) ‖ mailbox seed (32)     on success
              0x01                                           on any failure (no detail: the
                                                             child never writes about a code)

The code is normalised by the parent first, so a mistyped code never reaches a child. The child
exits when its stdin closes, so it cannot outlive the process that started it.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
import time
from typing import BinaryIO

from crypto import receipt
from crypto.kdf import KEY_SIZE, PARAMS_SIZE, KdfParams, ReceiptSecrets, derive_receipt_secrets

_OK, _FAILED = b"\x00", b"\x01"
_RESPONSE_SIZE = 1 + 2 * KEY_SIZE


class KdfProcessError(RuntimeError):
    """The child failed, died or answered something unreadable; start a new one."""


def _read_exact(stream: BinaryIO, size: int, deadline: float | None = None) -> bytes:
    """`size` bytes or EOFError; with a deadline (time.monotonic), TimeoutError once it passes
    (the stream must then be unbuffered, or select() could miss bytes already read ahead)."""
    data = b""
    while len(data) < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([stream], [], [], left)[0]:
                raise TimeoutError
        piece = stream.read(size - len(data))
        if not piece:
            raise EOFError
        data += piece
    return data


def encode_request(digits: str, salt: bytes, params: KdfParams) -> bytes:
    code = digits.encode("ascii")
    if len(salt) > 255 or len(code) > 255:
        raise ValueError("salt and code must each fit in 255 bytes")
    return params.to_bytes() + bytes([len(salt)]) + salt + bytes([len(code)]) + code


def _serve(requests: BinaryIO, answers: BinaryIO) -> None:
    while True:
        try:
            params = KdfParams.from_bytes(_read_exact(requests, PARAMS_SIZE))
            salt = _read_exact(requests, _read_exact(requests, 1)[0])
            digits = _read_exact(requests, _read_exact(requests, 1)[0]).decode("ascii")
        except EOFError:
            return
        try:
            found = derive_receipt_secrets(digits, salt, params)
            answer = _OK + found.lookup_tag + found.mailbox_seed
        except Exception:  # the parent learns "failed", never why
            answer = _FAILED
        answers.write(answer)
        answers.flush()


class KdfProcess:
    """One child interpreter, used by one thread at a time (the caller's KDF slot ensures it)."""

    def __init__(self, timeout: float = 120.0) -> None:
        # A child that stops answering (stopped, swapped to death) must not hold a web thread
        # forever: past `timeout` seconds per request it is killed and the caller told.
        self.timeout = timeout
        # -I: no PYTHON* variables, no user site directory, no current directory on the path:
        # the process that sees receipt codes imports only this package and its two libraries.
        child = (f"import sys; sys.path.insert(0, {_package_root()!r}); "
                 "from crypto.kdf_process import main; main()")
        self._proc = subprocess.Popen(  # noqa: S603  # nosec B603 - our own interpreter
            [sys.executable, "-I", "-c", child],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={}, close_fds=True, bufsize=0,
        )

    @property
    def pid(self) -> int:
        return self._proc.pid

    def alive(self) -> bool:
        return self._proc.poll() is None

    def derive(self, code: str, salt: bytes, params: KdfParams) -> ReceiptSecrets:
        """Raises ReceiptFormatError/ReceiptChecksumError (no child work) or KdfProcessError."""
        request = encode_request(receipt.normalize(code), salt, params)
        stdin, stdout = self._proc.stdin, self._proc.stdout
        if stdin is None or stdout is None:
            raise KdfProcessError("the KDF child has no pipes")
        deadline = time.monotonic() + self.timeout
        try:
            stdin.write(request)
            answer = _read_exact(stdout, 1, deadline)
            if answer != _OK:
                raise KdfProcessError("the KDF child refused the request")
            answer = _read_exact(stdout, _RESPONSE_SIZE - 1, deadline)
        except (OSError, EOFError, ValueError, TimeoutError) as exc:
            self.close(kill=True)
            raise KdfProcessError("the KDF child is gone or hung") from exc
        return ReceiptSecrets(lookup_tag=answer[:KEY_SIZE], mailbox_seed=answer[KEY_SIZE:])

    def close(self, kill: bool = False) -> None:
        if kill and self.alive():
            self._proc.kill()
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def _package_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    # Below the web workers' priority: with every core busy deriving, pages still get the CPU
    # first, and a flood of logins slows only the logins.
    with contextlib.suppress(OSError):
        os.nice(10)
    _serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
