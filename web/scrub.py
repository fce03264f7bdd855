"""WSGI middleware that removes who-is-calling information before Flask sees the request.

The portal must not be able to log, store or even read a reporter's address or browser. This
runs first, so no view, extension or error handler downstream has anything to leak.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# Headers that name a client, a proxy chain or a browser (CGI names).
CLIENT_HEADERS = frozenset(
    {
        "HTTP_X_FORWARDED_FOR",
        "HTTP_X_FORWARDED_HOST",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_X_FORWARDED_PORT",
        "HTTP_X_FORWARDED_PREFIX",
        "HTTP_X_FORWARDED_SERVER",
        "HTTP_X_FORWARDED",
        "HTTP_FORWARDED_FOR",
        "HTTP_FORWARDED",
        "HTTP_X_REAL_IP",
        "HTTP_X_CLIENT_IP",
        "HTTP_CLIENT_IP",
        "HTTP_TRUE_CLIENT_IP",
        "HTTP_CF_CONNECTING_IP",
        "HTTP_FASTLY_CLIENT_IP",
        "HTTP_X_CLUSTER_CLIENT_IP",
        "HTTP_X_ORIGINATING_IP",
        "HTTP_X_REMOTE_IP",
        "HTTP_X_REMOTE_ADDR",
        "HTTP_VIA",
        "HTTP_USER_AGENT",
        "HTTP_REFERER",
        "HTTP_FROM",
        "HTTP_SEC_CH_UA",
        "HTTP_SEC_CH_UA_MOBILE",
        "HTTP_SEC_CH_UA_PLATFORM",
    }
)
# Server-side keys that carry the peer address or the socket it can be read from.
PEER_KEYS = frozenset(
    {
        "REMOTE_ADDR",
        "REMOTE_PORT",
        "REMOTE_HOST",
        "REMOTE_USER",
        "gunicorn.socket",
        "werkzeug.socket",
    }
)
# A placeholder value, never a bind address.
ANONYMOUS_ADDR = "0.0.0.0"  # noqa: S104  # nosec B104


class ScrubClientInfo:
    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        scrub_environ(environ)
        return self.app(environ, start_response)


def scrub_environ(environ: dict[str, Any]) -> None:
    for key in list(environ):
        if key in PEER_KEYS or key in CLIENT_HEADERS or key.startswith("HTTP_SEC_CH_UA"):
            del environ[key]
    # Some libraries assume REMOTE_ADDR exists; give them a value that says nothing.
    environ["REMOTE_ADDR"] = ANONYMOUS_ADDR
