"""Cutting off bodies that arrive slower than the minimum rate, even mid-read (issue 12, item 3).

gunicorn hands the app a body read only once the whole piece asked for has arrived, so a sender
trickling a byte now and then keeps a read (and with it an upload slot and a thread) waiting
for hours without ever giving the app a chance to look at the rate. One watchdog thread per
worker looks at every body being read, once a second: a body that has fallen below the minimum
average rate after the grace period is marked and its socket's reading side shut, so the read
returns at once and the form comes back (portal.uploads.UploadTooSlow). Reads that do return
are checked on the spot as well (portal.uploads._Reader), which is all there is outside
gunicorn.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

CHECK_EVERY = 1.0


class Watched(Protocol):
    def too_slow(self, now: float) -> bool: ...

    def cut_off(self) -> None: ...


class Watchdog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bodies: dict[int, tuple[Watched, Callable[[], None]]] = {}
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    @contextmanager
    def watching(self, body: Watched, stop: Callable[[], None] | None) -> Iterator[None]:
        if stop is None:  # not under gunicorn: reads return, and are checked as they do
            yield
            return
        key = id(body)
        with self._lock:
            self._start()
            self._bodies[key] = (body, stop)
        try:
            yield
        finally:
            with self._lock:
                self._bodies.pop(key, None)

    def _start(self) -> None:
        if self._pid != os.getpid():  # forked: the parent's thread did not come along
            self._thread, self._pid = None, os.getpid()
            self._bodies.clear()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="adal-slow-senders", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(CHECK_EVERY)
            now = time.monotonic()
            with self._lock:
                late = [(body, stop) for body, stop in self._bodies.values() if body.too_slow(now)]
            for body, stop in late:
                body.cut_off()
                stop()


WATCHDOG = Watchdog()
