"""A bound on concurrent receipt-code Argon2 runs in this process.

Each run takes the instance's KDF memory (64 MiB by default) and a core for a noticeable time.
Without a bound, a flood of mailbox logins would take every worker thread and all memory, and
the landing page would stall with them. Logins that find no free slot are refused at once
(503 with Retry-After) instead of queueing: a waiting thread is a thread the other pages lose.
No client address is involved: the bound is on work, not on who asks for it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

RETRY_AFTER_SECONDS = 10


class KdfBusy(Exception):
    """Every slot is taken; the caller should answer 503 with Retry-After."""


class KdfQueue:
    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("at least one KDF slot")
        self.slots = slots
        self._sem = threading.BoundedSemaphore(slots)

    @contextmanager
    def slot(self, wait: float = 0.0) -> Iterator[None]:
        """Hold a slot for the body; KdfBusy if none is free within `wait` seconds.

        Logins use wait=0. A new report waits (see portal.intake): p6 forbids refusing one.
        """
        acquired = self._sem.acquire(timeout=wait) if wait > 0 else self._sem.acquire(False)
        if not acquired:
            raise KdfBusy
        try:
            yield
        finally:
            self._sem.release()
