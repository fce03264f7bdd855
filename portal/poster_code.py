"""The poster's QR code, drawn on the server as inline SVG: no script, no image request, so it
prints from the page itself under the portal's CSP (img-src 'self', no inline styles)."""

from __future__ import annotations

import segno
from markupsafe import Markup, escape


def svg(address: str, label: str) -> Markup:
    """A QR code of `address` (error correction M: a creased, stained poster still scans)."""
    code = segno.make(address, error="m", micro=False)
    # Sized by the stylesheet (viewBox only); no XML declaration or inline style.
    drawn = code.svg_inline(scale=1, border=4, dark="#000", light="#fff", omitsize=True)
    named = f'<svg role="img" aria-label="{escape(label)}" '
    return Markup(drawn.replace("<svg ", named, 1))  # noqa: S704  # nosec B704 - segno's SVG, label escaped
