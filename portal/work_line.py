"""Slots for long work, and a short line of callers waiting for one.

Each running piece of long work (a receipt-code Argon2 run, a file being received) and each
caller waiting for a slot holds one of the worker's few threads. Without a bound, a flood of
logins or a handful of slow uploads would take every thread and the landing page would stall
with them. So at most `slots` run at once and at most `waiting` callers queue behind them for
a short while; anyone past that is refused at once with `busy`: an unbounded line of waiting
threads would be threads the other pages lose. No client address is involved: the bound is on
work, not on who asks for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class WorkLine:
    def __init__(self, slots: int, waiting: int, busy: Callable[[], Exception]) -> None:
        if slots < 1:
            raise ValueError("at least one slot")
        if waiting < 0:
            raise ValueError("the waiting line cannot be negative")
        self.slots = slots
        self.max_waiting = waiting
        self._busy = busy
        self._sem = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._waiting = 0

    @contextmanager
    def slot(self, wait: float = 0.0) -> Iterator[None]:
        """Hold a slot for the body; `busy()` is raised if none is free within `wait` seconds,
        or at once when `waiting` callers are already in line."""
        if not self._sem.acquire(blocking=False):
            if wait <= 0 or not self._join_line():
                raise self._busy()
            try:
                acquired = self._sem.acquire(timeout=wait)
            finally:
                with self._lock:
                    self._waiting -= 1
            if not acquired:
                raise self._busy()
        try:
            yield
        finally:
            self._sem.release()

    def _join_line(self) -> bool:
        with self._lock:
            if self._waiting >= self.max_waiting:
                return False
            self._waiting += 1
            return True
