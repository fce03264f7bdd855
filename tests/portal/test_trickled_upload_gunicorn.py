"""Issue 12, item 3, under gunicorn: a body trickled a few bytes a second is cut off mid-read.

gunicorn returns a read of the body only once the whole piece asked for has arrived, so the
rate can only be enforced from outside the read: the watchdog (portal.slow_senders) shuts the
socket's reading side, the blocked read returns, and the reporter's form comes back (408). The
sender here never pauses long enough for the idle timeout (ADAL_BODY_IDLE_SECONDS) to fire.
"""

from __future__ import annotations

import time
from pathlib import Path

import requests

from bench import loopback as srv
from tests.support.instance import DemoInstance


def test_a_trickling_sender_loses_its_upload_slot(demo: DemoInstance, tmp_path: Path) -> None:
    server = srv.start_portal(
        demo.path,
        tmp_path / "run",
        ADAL_UPLOAD_SLOTS="1",
        ADAL_MIN_UPLOAD_RATE="65536",
        ADAL_UPLOAD_GRACE_SECONDS="2",
    )
    try:
        sock = srv.stalled_upload(server, requests.Session(), "trickled")
        sock.settimeout(0.5)
        started = time.monotonic()
        answer = b""
        while time.monotonic() - started < 30:
            try:
                answer = sock.recv(65536)
                break
            except TimeoutError:
                sock.sendall(b"t" * 32)  # 64 bytes a second: never idle, far below the rate
        sock.close()
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert time.monotonic() - started < 15
        # The slot is free: an honest report with a file goes through.
        http = requests.Session()
        csrf, nonce = srv.form_tokens(http, server)
        sent = http.post(
            server.url("/report"),
            timeout=30,
            files=[
                ("csrf_token", (None, csrf)),
                ("nonce", (None, nonce)),
                ("facts", (None, "honest")),
                ("acknowledge", (None, "y")),
                ("files", ("a.pdf", b"%PDF-1.4 x", "application/pdf")),
            ],
        )
        assert sent.status_code == 200 and srv.CODE.search(sent.text)
    finally:
        server.stop()
