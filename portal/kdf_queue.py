"""A bounded queue for receipt-code Argon2 runs, each run in a child process.

Each run takes the instance's KDF memory (64 MiB by default) and a core for a noticeable time.
So the runs go through a WorkLine (portal.work_line): a few slots and a short line of logins
waiting for one; past that, KdfBusy → 503 with Retry-After, and the other pages keep their
threads.

The runs themselves happen in `crypto.kdf_process` children, one per slot, started on first use
and reused; the worker's own memory then stays flat however large the KDF memory is.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from contextlib import AbstractContextManager

from crypto import receipt
from crypto.kdf import KdfParams, ReceiptSecrets
from crypto.kdf_process import KdfProcess, KdfProcessError, KdfTimeout
from portal.logs import LOGGER_NAME
from portal.work_line import WorkLine

RETRY_AFTER_SECONDS = 10
# Fixed messages only: nothing about which code, or whether a login or a report asked.
_log = logging.getLogger(LOGGER_NAME)


class KdfBusy(Exception):
    """Every slot is taken and the line is full; the caller should answer 503 + Retry-After."""


class KdfUnavailable(KdfBusy):
    """A KDF child could not be started or died twice in a row; also a 503 for a login."""


def _close_all(children: list[KdfProcess]) -> None:
    while children:
        children.pop().close()


class KdfQueue:
    def __init__(self, slots: int, waiting: int = 1) -> None:
        self._line = WorkLine(slots, waiting, KdfBusy)
        self.slots = slots
        self._lock = threading.Lock()
        self._idle: list[KdfProcess] = []
        self._owner = os.getpid()
        # Children exit when their stdin closes; closing them here also reaps them.
        self._finalizer = weakref.finalize(self, _close_all, self._idle)

    def slot(self, wait: float = 0.0) -> AbstractContextManager[None]:
        """Hold a slot for the body; KdfBusy if none is free within `wait` seconds, or at once
        when `waiting` callers are already in line."""
        return self._line.slot(wait)

    def derive(self, code: str, salt: bytes, params: KdfParams, wait: float) -> ReceiptSecrets:
        """Secrets of a receipt code, computed in a child within a slot.

        A mistyped code raises ReceiptFormatError/ReceiptChecksumError before taking a slot.
        """
        digits = receipt.normalize(code)
        with self.slot(wait):
            return self._in_child(digits, salt, params)

    def _in_child(self, digits: str, salt: bytes, params: KdfParams) -> ReceiptSecrets:
        # One retry with a fresh child: a child killed in between (OOM killer, an operator)
        # must not cost the caller its login or report. A child that hung has used up the
        # caller's patience already: no second wait.
        for _attempt in range(2):
            try:
                child = self._take()
            except OSError as exc:
                raise KdfUnavailable from exc
            try:
                found = child.derive(digits, salt, params)
            except KdfTimeout as exc:
                _log.warning("A receipt-KDF child stopped answering and was killed")
                raise KdfUnavailable from exc
            except KdfProcessError:
                child.close(kill=True)
                _log.warning("A receipt-KDF child died (out of memory?) and is replaced")
                continue
            self._give_back(child)
            return found
        raise KdfUnavailable

    def _take(self) -> KdfProcess:
        with self._lock:
            if self._owner != os.getpid():
                # Forked (a preloading server): the children belong to the parent process.
                self._idle.clear()
                self._owner = os.getpid()
            while self._idle:
                child = self._idle.pop()
                if child.alive():
                    return child
                child.close()
        return KdfProcess()

    def _give_back(self, child: KdfProcess) -> None:
        with self._lock:
            if self._owner == os.getpid() and len(self._idle) < self.slots:
                self._idle.append(child)
                return
        child.close()

    def close(self) -> None:
        self._finalizer()
