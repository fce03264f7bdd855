"""Who is calling never reaches Flask: ScrubClientInfo runs before any view can look."""

from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.wrappers import Response

PROXY_AND_BROWSER = {
    "X-Forwarded-For": "203.0.113.77, 198.51.100.1",
    "Forwarded": "for=198.51.100.23;proto=https;by=192.0.2.1",
    "X-Real-IP": "192.0.2.199",
    "User-Agent": "ScrubProbe/1.0 (zqx-agent-marker)",
    "Referer": "https://intranet.example/zqx-referer-marker",
    "Sec-CH-UA": '"ScrubProbe";v="1", "Chromium";v="120"',
    "Via": "1.1 zqx-via-marker.example",
}
MARKERS = (
    "203.0.113.77",
    "198.51.100",
    "192.0.2.199",
    "ScrubProbe",
    "zqx-agent-marker",
    "zqx-referer-marker",
    "zqx-via-marker",
    "Chromium",
)


def _what_flask_sees() -> Response:
    """A test-only view: everything the request object exposes about the caller."""
    environ = {key: str(value) for key, value in request.environ.items()}
    return jsonify(
        environ=environ,
        headers=dict(request.headers),
        remote_addr=request.remote_addr,
        access_route=list(request.access_route),
        user_agent=request.user_agent.string,
        referrer=request.referrer,
    )


def test_client_details_never_reach_flask(app: Flask) -> None:
    app.add_url_rule("/_test/seen", "seen_by_flask", _what_flask_sees)
    client = app.test_client()
    seen = client.get(
        "/_test/seen",
        headers=PROXY_AND_BROWSER,
        environ_base={"REMOTE_ADDR": "198.51.100.99", "REMOTE_PORT": "54321"},
    )
    assert seen.status_code == 200
    data = seen.get_json()
    environ, headers = data["environ"], data["headers"]
    for name in PROXY_AND_BROWSER:
        cgi = "HTTP_" + name.upper().replace("-", "_")
        assert cgi not in environ, cgi
        assert name.lower() not in {h.lower() for h in headers}, name
    assert environ["REMOTE_ADDR"] == "0.0.0.0"
    assert "REMOTE_PORT" not in environ
    assert data["remote_addr"] == "0.0.0.0"
    assert data["access_route"] == ["0.0.0.0"]
    assert data["user_agent"] == "" and data["referrer"] is None
    text = seen.get_data(as_text=True)
    found = [marker for marker in MARKERS if marker in text]
    assert found == []
    # The middleware drops only who is calling: ordinary headers still arrive.
    plain = client.get("/_test/seen", headers={"X-Probe-Ordinary": "kept"}).get_json()
    assert plain["headers"].get("X-Probe-Ordinary") == "kept"
