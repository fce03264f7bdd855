"""TOTP (RFC 6238) as the back office uses it: one-time codes, a ±1 step window, QR enrolment.

Each code is accepted once: the caller stores the counter (time step) of the last accepted code
and any code at or before it is refused, so a code read over a shoulder or replayed from a
proxy log is worthless. The QR code is an inline SVG drawn on the server (no script, no external
image), so enrolment works under the strict CSP.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno
from markupsafe import Markup

STEP_SECONDS = 30
DIGITS = 6
# One step either side absorbs a phone clock that is up to ~30 s off, and no more.
WINDOW = 1
ISSUER = "Adal"


def counter_at(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def normalize(code: str | None) -> str | None:
    """Digits only (spaces typed for readability are dropped); None if it cannot be a code."""
    if code is None:
        return None
    digits = "".join(code.split())
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def match(secret: str, code: str | None, last_counter: int | None, now: datetime) -> int | None:
    """The counter the code belongs to, if it is valid now and newer than `last_counter`."""
    digits = normalize(code)
    if digits is None:
        return None
    hotp = pyotp.HOTP(secret, digits=DIGITS)
    current = counter_at(now)
    found = None
    # Every candidate is compared (no early exit), so timing does not tell which step matched.
    for counter in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(hotp.at(counter), digits) and (
            last_counter is None or counter > last_counter
        ):
            found = counter
    return found


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=username, issuer_name=ISSUER
    )


def qr_svg(uri: str, title: str) -> Markup:
    """The QR code as inline SVG markup (segno draws paths with attributes, no inline style)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, title=title, dark="#000", light="#fff", svgclass="qr"
    )
    # segno draws the SVG itself and escapes the title; the URI holds a validated username.
    return Markup(svg)  # noqa: S704  # nosec B704


def grouped(secret: str) -> str:
    """The manual-entry key in groups of four, easier to type into an authenticator."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
