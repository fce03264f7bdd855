"""gunicorn settings shared by both apps (command-line flags set the per-app parts).

`adal portal` and `adal handler` (adal_cli/serve.py) load this with
`--config python:adal_cli.gunicorn_conf`; so can a hand-written gunicorn command line.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

from gunicorn.glogging import Logger
from gunicorn.http.unreader import SocketUnreader

from hardening.process import protect_process
from web import connection

# No request line, address or header in any log gunicorn writes.
accesslog = None
access_log_format = ""
# Bodies are streamed by the app; gunicorn must not cap them below the app's own limit.
limit_request_line = 8190
limit_request_fields = 100
# Don't trust forwarding headers from anyone: the app never needs the client's address.
forwarded_allow_ips = ""
proxy_allow_ips = ""
# No control socket (gunicorn 25+): nothing uses it, and every instance of the same user
# claims the same default path, so the second of the portal, the back office or the onion's
# portal logged "Address … already in use" at every start. (Older gunicorn ignores the name.)
control_socket_disable = True
# The worker heartbeat file on tmpfs: a busy disk never makes the master kill a worker that
# is streaming a long upload. (gunicorn's documented choice; not a temporary file we write.)
_SHM = "/dev/shm"  # noqa: S108  # nosec B108
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None

# IPv4, and IPv6 written with at least two colons (times like 12:30 have one).
_ADDRESS = re.compile(
    r"\b\d{1,3}(?:\.\d{1,3}){3}\b|(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])"
)


class _WithholdClientDetails(logging.Filter):
    """gunicorn's error log names the client ("Invalid request from ip=...") and quotes the
    request line of a failed request, which can carry a path or query. Neither may reach a
    log; what stays is what an operator needs: that it happened."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Invalid request from"):
            message = "Invalid request from a client (details withheld)"
        elif message.startswith("Error handling request"):
            message = "Error handling request (request line withheld)"
        record.msg = _ADDRESS.sub("-", message)
        record.args = ()
        return True


class AnonymousLogger(Logger):
    """gunicorn's logger without client addresses, and with no access log at all."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if not any(isinstance(f, _WithholdClientDetails) for f in self.error_log.filters):
            self.error_log.addFilter(_WithholdClientDetails())

    def access(self, *args: Any, **kwargs: Any) -> None:
        """Never an access line, whatever --access-logfile says."""


logger_class = AnonymousLogger


def _body_idle_seconds() -> float:
    raw = os.environ.get("ADAL_BODY_IDLE_SECONDS", "").strip()
    try:
        return max(1.0, float(raw)) if raw else 60.0
    except ValueError:
        return 60.0


# A sender that goes quiet this long mid-request is given up and its thread freed (nginx's
# client_body_timeout has the same default). It bounds the gap between bytes, not the whole
# upload: over Tor a large one can take hours.
BODY_IDLE_SECONDS = _body_idle_seconds()


def pre_request(worker: Any, req: Any) -> None:
    """Before each request (and instead of gunicorn's default, which logs the path)."""
    # gunicorn makes the socket blocking again before the next request on it.
    connection.attach(getattr(req.unreader, "sock", None), req, BODY_IDLE_SECONDS)


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    connection.detach()


# gunicorn reads a request body of known length ahead of the application, up to 1 MiB per
# recv(), and then copies that buffer while handing it out in the pieces asked for: several MiB
# in flight per upload. 128 KiB per recv() keeps an upload's share of a worker's memory small
# (see bench/upload.py) and still reads large blocks.
SocketUnreader.max_body_chunk = 128 * 1024


def post_fork(_server: Any, _worker: Any) -> None:
    """Workers hold mailbox keys and unwrapped staff keys in memory while they serve: no core
    file of theirs, and no same-user process may read their memory (hardening.process)."""
    protect_process()
