"""How long a read of the current request's body may wait, for the thread serving it.

gunicorn's hooks (adal_cli.gunicorn_conf) attach the request's socket here before the app runs
and detach it afterwards. The app may only shorten the wait: a refused body is drained for a
few seconds at most, whatever the sender does. The socket stays out of the WSGI environ
(web.scrub), so nothing in the app can ask it for the client's address by accident. Outside
gunicorn (tests, the development server) there is no socket and shorten() does nothing.
"""

from __future__ import annotations

import socket
import threading

_local = threading.local()


def attach(sock: socket.socket | None, idle_seconds: float) -> None:
    _local.sock = sock
    if sock is not None:
        sock.settimeout(idle_seconds)


def detach() -> None:
    _local.sock = None


def shorten(seconds: float) -> None:
    """The next reads on this request wait at most `seconds` (at least 10 ms)."""
    sock: socket.socket | None = getattr(_local, "sock", None)
    if sock is not None:
        current = sock.gettimeout()
        wanted = max(0.01, seconds)
        if current is None or wanted < current:
            sock.settimeout(wanted)
