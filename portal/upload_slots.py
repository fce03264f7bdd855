"""A bound on the requests that are receiving files at once, in one worker.

A file part holds a worker thread for as long as its sender takes, and over Tor that can be
minutes; a client that stops sending holds it until the socket's idle timeout. Without a bound,
a few slow or stalled uploads would take every thread and the landing page would stop
answering. A request takes a slot when its first file part begins (its text fields are read
before that, so a refusal can give the form back filled in) and gives it back when its body has
been read. No client address is involved: the bound is on work, not on who asks for it.
"""

from __future__ import annotations

import threading


class UploadSlots:
    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("at least one upload slot")
        self.slots = slots
        self._sem = threading.BoundedSemaphore(slots)

    def take(self) -> bool:
        """A slot now, or False: a waiting request would hold a thread just the same."""
        return self._sem.acquire(blocking=False)

    def give_back(self) -> None:
        self._sem.release()
