"""Every HTML page the portal sends is padded to a fixed-size bucket (issue 12, item 4).

TLS and Tor hide what a page says, not how long it is. Without padding, the size of the mailbox
page tells someone watching the reporter's connection whether the handlers have replied (and
roughly how much), and the receipt page's size varies with what was sent. Pages are padded to
the next bucket: 16 KiB, then doubling up to 256 KiB, then whole multiples of 256 KiB. A page
only changes bucket after far more than a short reply. Every page, not only the mailbox, so the
size does not even tell which page was served (a receipt or the form given back).

Caddy does not compress responses (Caddyfile: BREACH), so spaces cost their full size on the
wire and hide as much as random bytes would.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Response

SMALLEST = 16 * 1024
LARGEST_DOUBLING = 256 * 1024
_OPEN, _CLOSE = b"<!--", b"-->"
_END = b"</body>"


def bucket(size: int) -> int:
    """The padded size of a body of `size` bytes."""
    target = SMALLEST
    while target < size and target < LARGEST_DOUBLING:
        target *= 2
    if target >= size:
        return target
    return -(-size // LARGEST_DOUBLING) * LARGEST_DOUBLING


def pad(body: bytes) -> bytes:
    """`body` with an HTML comment of spaces before `</body>`, exactly `bucket` bytes long."""
    wrapper = len(_OPEN) + len(_CLOSE) + 1  # the newline before the comment
    target = bucket(len(body) + wrapper)
    comment = b"\n" + _OPEN + b" " * (target - len(body) - wrapper) + _CLOSE
    at = body.rfind(_END)
    return body + comment if at < 0 else body[:at] + comment + body[at:]


def install(app: Flask) -> None:
    @app.after_request
    def _pad(response: Response) -> Response:
        if (
            response.mimetype == "text/html"
            and not response.is_streamed
            and not response.direct_passthrough
        ):
            response.set_data(pad(response.get_data()))
        return response
