"""Security headers on every response, set in one place for both apps."""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask, Response, request

# No script source at all: the pages work in Tor Browser's "Safest" mode.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "ambient-light-sensor",
        "autoplay",
        "battery",
        "bluetooth",
        "camera",
        "display-capture",
        "document-domain",
        "encrypted-media",
        "fullscreen",
        "gamepad",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "interest-cohort",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "web-share",
        "xr-spatial-tracking",
    )
)
STATIC_HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
}


def install(app: Flask) -> None:
    """Set the headers after every response, error pages included.

    `ONION_LOCATION` (config) adds Onion-Location so Tor Browser offers the onion service.
    """

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in STATIC_HEADERS.items():
            response.headers[name] = value
        if not request.path.startswith("/static/"):
            # Pages may carry report data: never kept by the browser or a proxy.
            response.headers["Cache-Control"] = "no-store, max-age=0"
            response.headers["Pragma"] = "no-cache"
        onion = app.config.get("ONION_LOCATION")
        # Only for pages one can open: a POST's URL (a form's target) would answer 405 there.
        if onion and request.method in ("GET", "HEAD"):
            # The same page at the onion address. request.path is decoded, so it is quoted
            # again: a header must be printable ASCII. The raw query string is kept only when
            # it already is (a browser sends it encoded); anything else is left out.
            location = onion.rstrip("/") + quote(request.path, safe="/-._~")
            query = request.query_string
            if query and all(0x21 <= b <= 0x7E for b in query):
                location += "?" + query.decode("ascii")
            response.headers["Onion-Location"] = location
        response.headers.pop("Server", None)
        return response
