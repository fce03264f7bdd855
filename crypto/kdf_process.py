"""Receipt-code derivation in a child process.

Argon2id is memory-hard on purpose: one receipt derivation takes the installation's KDF memory
(64 MiB by default). Run inside a web worker, that memory lands in the worker's own footprint and
stays there as its high-water mark, beside the uploads it is streaming. A `KdfProcess` runs the
same `kdf.derive_receipt_secrets` in a small child interpreter that imports nothing but this
package and `hardening`, so the worker's memory stays what its pages and uploads need, and the
Argon2 memory is the child's alone.

Wire format over the child's stdin/stdout, one request at a time:

    request   request id (16) ‖ KdfParams.to_bytes() (10) ‖ u8 salt length ‖ salt
              ‖ u8 code length ‖ code digits
    response  request id (16) ‖ 0x00 ‖ lookup tag (32) ‖ mailbox seed (32)    on success
              request id (16) ‖ 0x01                                          on any failure
                                                  (no detail: the child never writes about a code)

The random request id makes an answer that belongs to another request an error rather than a
wrong mailbox. The code is normalised by the parent first, so a mistyped code never reaches a
child. The child exits when its stdin closes, so it cannot outlive the process that started it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import subprocess
import sys
import threading
import time
from typing import BinaryIO

from crypto import receipt
from crypto.kdf import KEY_SIZE, PARAMS_SIZE, KdfParams, ReceiptSecrets, derive_receipt_secrets
from hardening.process import protect_process

_OK, _FAILED = b"\x00", b"\x01"
_ID_SIZE = 16
# Argon2id at production cost takes a fraction of a second; niced on a busy machine, a few.
DEFAULT_TIMEOUT = 30.0


class KdfProcessError(RuntimeError):
    """The child failed, died or answered something unreadable; start a new one."""


class KdfTimeout(KdfProcessError):
    """The child did not answer in time; it has been killed. Not worth a retry."""


def _read_exact(stream: BinaryIO, size: int, deadline: float | None = None) -> bytes:
    """`size` bytes or EOFError; with a deadline (time.monotonic), TimeoutError once it passes
    (the stream must then be unbuffered, or poll() could miss bytes already read ahead)."""
    data = b""
    poller = None
    if deadline is not None:
        # poll, not select: select() cannot watch a descriptor numbered 1024 or more, which a
        # worker holding many connections reaches.
        poller = select.poll()
        poller.register(stream.fileno(), select.POLLIN)
    while len(data) < size:
        if poller is not None and deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(left * 1000):
                raise TimeoutError
        piece = stream.read(size - len(data))
        if not piece:
            raise EOFError
        data += piece
    return data


def encode_request(request_id: bytes, digits: str, salt: bytes, params: KdfParams) -> bytes:
    code = digits.encode("ascii")
    if len(request_id) != _ID_SIZE:
        raise ValueError("a request id is 16 bytes")
    if len(salt) > 255 or len(code) > 255:
        raise ValueError("salt and code must each fit in 255 bytes")
    return request_id + params.to_bytes() + bytes([len(salt)]) + salt + bytes([len(code)]) + code


def _serve(requests: BinaryIO, answers: BinaryIO) -> None:
    while True:
        try:
            request_id = _read_exact(requests, _ID_SIZE)
            params = KdfParams.from_bytes(_read_exact(requests, PARAMS_SIZE))
            salt = _read_exact(requests, _read_exact(requests, 1)[0])
            digits = _read_exact(requests, _read_exact(requests, 1)[0]).decode("ascii")
        except EOFError:
            return
        try:
            found = derive_receipt_secrets(digits, salt, params)
            answer = request_id + _OK + found.lookup_tag + found.mailbox_seed
        except Exception:  # the parent learns "failed", never why
            answer = request_id + _FAILED
        answers.write(answer)
        answers.flush()


class KdfProcess:
    """One child interpreter. Requests are serialised: one at a time, whoever asks."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        # A child that stops answering (stopped, swapped to death) must not hold a web thread
        # for long: past `timeout` seconds per request it is killed and the caller told.
        self.timeout = timeout
        self._lock = threading.Lock()
        # -I: no PYTHON* variables, no user site directory, no current directory on the path:
        # the process that sees receipt codes imports only this package, its two libraries and
        # `hardening` (stdlib only: the child makes itself undumpable, which exec resets).
        # -OO: the bytecode `make setup` compiled for the portal serves here too.
        child = (
            f"import sys; sys.path.insert(0, {_package_root()!r}); "
            "from crypto.kdf_process import main; main()"
        )
        self._proc = subprocess.Popen(  # noqa: S603  # nosec B603 - our own interpreter
            [sys.executable, "-I", "-OO", "-c", child],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={},
            close_fds=True,
            bufsize=0,
        )

    @property
    def pid(self) -> int:
        return self._proc.pid

    def alive(self) -> bool:
        return self._proc.poll() is None

    def derive(self, code: str, salt: bytes, params: KdfParams) -> ReceiptSecrets:
        """Raises ReceiptFormatError/ReceiptChecksumError (no child work), KdfTimeout (the
        child was killed) or KdfProcessError (the child is gone or refused)."""
        request_id = secrets.token_bytes(_ID_SIZE)
        request = encode_request(request_id, receipt.normalize(code), salt, params)
        with self._lock:
            return self._exchange(request_id, request)

    def _exchange(self, request_id: bytes, request: bytes) -> ReceiptSecrets:
        stdin, stdout = self._proc.stdin, self._proc.stdout
        if stdin is None or stdout is None:
            raise KdfProcessError("the KDF child has no pipes")
        deadline = time.monotonic() + self.timeout
        try:
            if stdin.write(request) != len(request):
                raise EOFError  # a pipe takes a request this small whole, or the child is gone
            head = _read_exact(stdout, _ID_SIZE + 1, deadline)
            if head[:_ID_SIZE] != request_id:
                raise EOFError  # out of step with this child: never use what it says
            if head[_ID_SIZE:] != _OK:
                raise KdfProcessError("the KDF child refused the request")
            answer = _read_exact(stdout, 2 * KEY_SIZE, deadline)
        except TimeoutError as exc:
            self.close(kill=True)
            raise KdfTimeout("the KDF child did not answer in time") from exc
        except (OSError, EOFError, ValueError) as exc:
            self.close(kill=True)
            raise KdfProcessError("the KDF child is gone") from exc
        except KdfProcessError:
            self.close(kill=True)
            raise
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
    protect_process()
    # Below the web workers' priority: with every core busy deriving, pages still get the CPU
    # first, and a flood of logins slows only the logins.
    with contextlib.suppress(OSError):
        os.nice(10)
    _serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
