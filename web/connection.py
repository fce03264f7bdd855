"""The connection of the request this thread is serving, as far as the app may touch it.

gunicorn's hooks (adal_cli.gunicorn_conf) attach the request's socket and gunicorn's own
request object here before the app runs, and detach them afterwards. The app may only shorten
how long a read of the body may wait, and ask for the connection to be closed after the
response: a refused body is drained for a bounded time whatever its sender does, and what is
left of it is not read by gunicorn for another five seconds to keep the connection alive. The
socket stays out of the WSGI environ (web.scrub), so nothing in the app can ask it for the
client's address by accident. Outside gunicorn (tests, the development server) both are no-ops.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from typing import Any

_local = threading.local()


def attach(sock: socket.socket | None, request: Any, idle_seconds: float) -> None:
    _local.sock, _local.request = sock, request
    if sock is not None:
        sock.settimeout(idle_seconds)


def detach() -> None:
    _local.sock = _local.request = None


def shorten_reads(seconds: float) -> None:
    """The next reads on this request wait at most `seconds` (at least 10 ms)."""
    sock: socket.socket | None = getattr(_local, "sock", None)
    if sock is not None:
        current = sock.gettimeout()
        wanted = max(0.01, seconds)
        if current is None or wanted < current:
            sock.settimeout(wanted)


def read_stopper() -> Callable[[], None] | None:
    """A function that ends every read of this request's body, callable from another thread
    (a read blocked in the socket returns at once, as at the end of the body); None outside
    gunicorn. Used to cut off a sender that trickles its body (portal.slow_senders)."""
    sock: socket.socket | None = getattr(_local, "sock", None)
    if sock is None:
        return None

    def stop() -> None:
        with contextlib.suppress(OSError):  # already closed: nothing left to stop
            sock.shutdown(socket.SHUT_RD)

    return stop


def close_after_response() -> None:
    """No keep-alive: gunicorn closes the connection once the response is sent."""
    request = getattr(_local, "request", None)
    if request is not None and hasattr(request, "must_close"):
        request.must_close = True
