"""The portal under real gunicorn: nothing identifying on disk, flat memory, polite refusals."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench import loopback as srv
from tests.support.instance import DemoInstance

MARK_IP = "203.0.113.77"
MARK_FWD = "for=198.51.100.23;proto=https"
MARK_REAL = "192.0.2.199"
MARK_UA = "LeakProbeBrowser/7.3 (zqxmarker)"
MARK_TEXT = "Маркер zqx: завхоз продал казённый генератор"
MARK_NAME = "Маркеров Тестжан Qzxович"
MARK_FILE = b"FILE-MARKER-\x00\x01-zqx-" * 64
HEADERS = {
    "X-Forwarded-For": MARK_IP,
    "Forwarded": MARK_FWD,
    "X-Real-IP": MARK_REAL,
    "User-Agent": MARK_UA,
}


def encodings(text: str) -> list[bytes]:
    return [text.encode(e) for e in ("utf-8", "utf-16-le", "utf-16-be")]


def files_under(*roots: Path) -> Iterator[Path]:
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                yield path


def leaks(markers: dict[str, list[bytes]], *roots: Path) -> list[str]:
    found = []
    for path in files_under(*roots):
        data = path.read_bytes()
        found.extend(
            f"{name} in {path}"
            for name, forms in markers.items()
            if any(form in data for form in forms)
        )
    return found


@pytest.fixture
def portal(demo: DemoInstance, tmp_path: Path) -> Iterator[srv.PortalServer]:
    server = srv.start_portal(
        demo.path, tmp_path / "run", ADAL_MAX_UPLOAD_BYTES=str(80 * 1024 * 1024)
    )
    yield server
    server.stop()


def test_nothing_identifying_reaches_disk(
    portal: srv.PortalServer, demo: DemoInstance, tmp_path: Path
) -> None:
    http = requests.Session()
    http.headers.update(HEADERS)
    csrf, nonce = srv.form_tokens(http, portal)
    response = http.post(
        portal.url("/report"),
        data={
            "csrf_token": csrf,
            "nonce": nonce,
            "facts": MARK_TEXT,
            "persons": MARK_TEXT,
            "full_name": MARK_NAME,
            "own_position": MARK_NAME,
            "consent": "y",
            "acknowledge": "y",
        },
        files=[("files", ("marker.bin", MARK_FILE, "application/octet-stream"))],
    )
    assert response.status_code == 200
    code = srv.CODE.search(response.text)
    assert code
    page = http.get(portal.url("/mailbox")).text
    token = srv.CSRF.search(page)
    assert token
    assert (
        http.post(
            portal.url("/mailbox/login"), data={"csrf_token": token.group(1), "code": code.group(1)}
        ).status_code
        == 200
    )  # after 303
    page = http.get(portal.url("/mailbox")).text
    token = srv.CSRF.search(page)
    assert token
    assert (
        http.post(
            portal.url("/mailbox/reply"),
            data={"csrf_token": token.group(1), "text": MARK_TEXT},
            files=[("files", ("m.bin", MARK_FILE, "x/y"))],
        ).status_code
        == 200
    )
    # Error paths too: 404, 405, malformed body, oversized body.
    assert http.get(portal.url("/" + MARK_IP)).status_code == 404
    assert http.delete(portal.url("/")).status_code == 405
    assert (
        http.post(
            portal.url("/report"),
            data=b"--x\r\n" + MARK_TEXT.encode(),
            headers={"Content-Type": "multipart/form-data; boundary=x"},
        ).status_code
        == 400
    )
    portal.stop()  # flush and close everything the server writes

    digits = code.group(1).replace(" ", "")
    markers = {
        name: encodings(value)
        for name, value in {
            "X-Forwarded-For": MARK_IP,
            "Forwarded": MARK_FWD,
            "X-Real-IP": MARK_REAL,
            "User-Agent": MARK_UA,
            "report text": MARK_TEXT,
            "identity": MARK_NAME,
            "receipt code": code.group(1),
            "receipt digits": digits,
        }.items()
    }
    markers["file bytes"] = [MARK_FILE[:64]]
    found = leaks(markers, demo.path, portal.tmpdir, portal.log.parent, tmp_path)
    assert found == []
    assert portal.log.exists()
    assert list(files_under(portal.tmpdir)) == []


def test_large_upload_streams_with_flat_memory(portal: srv.PortalServer) -> None:
    http = requests.Session()
    csrf, nonce = srv.form_tokens(http, portal)
    # Warm up: imports, KDF, database connection and a small upload.
    warm = srv.StreamedBody(
        {"csrf_token": csrf, "nonce": nonce, "facts": "warm-up", "acknowledge": "y"},
        "w.bin",
        4 * 1024 * 1024,
        b"w" * 4099,
    )
    assert (
        http.post(
            portal.url("/report"), data=warm, headers={"Content-Type": warm.content_type}
        ).status_code
        == 200
    )
    worker = portal.worker_pid()
    baseline = srv.vm_kib(worker, "VmHWM")
    seen_tmp: list[list[str]] = []

    def during(pos: int, total: int) -> None:
        if pos > total // 2 and not seen_tmp:
            seen_tmp.append([p.name for p in files_under(portal.tmpdir)])

    csrf, nonce = srv.form_tokens(http, portal)
    size = 64 * 1024 * 1024
    body = srv.StreamedBody(
        {"csrf_token": csrf, "nonce": nonce, "facts": "big upload", "acknowledge": "y"},
        "big.bin",
        size,
        os.urandom(4096) + b"PLAINTEXT-MARKER",
        on_read=during,
    )
    response = http.post(
        portal.url("/report"), data=body, headers={"Content-Type": body.content_type}
    )
    assert response.status_code == 200 and srv.CODE.search(response.text)
    peak = srv.vm_kib(worker, "VmHWM")
    assert seen_tmp == [[]]
    assert list(files_under(portal.tmpdir)) == []
    # Memory does not grow with the file: 64 MiB went through with a few MiB of headroom.
    # (The worker's idle footprint, ~60 MiB, is the interpreter with Flask and SQLAlchemy.)
    assert peak - baseline < 16 * 1024, (baseline, peak)


def test_oversized_upload_gets_the_413_page_not_a_reset(portal: srv.PortalServer) -> None:
    http = requests.Session()
    csrf, nonce = srv.form_tokens(http, portal)
    body = srv.StreamedBody(
        {"csrf_token": csrf, "nonce": nonce, "facts": "too big", "acknowledge": "y"},
        "huge.bin",
        96 * 1024 * 1024,
        b"h" * 4096,
    )
    response = http.post(
        portal.url("/report"), data=body, headers={"Content-Type": body.content_type}
    )
    assert response.status_code == 413
    assert "80" in response.text and "<h1>" in response.text
    # The form itself comes back with the typed text, not a bare error page.
    assert 'action="/report"' in response.text and "too big</textarea>" in response.text
    # What is left of the body is not read for a kept-alive connection (web.connection).
    assert response.headers["Connection"].lower() == "close"
    # The connection pool still works afterwards, and the server is fine.
    assert http.get(portal.url("/")).status_code == 200


def test_worker_and_kdf_children_keep_keys_out_of_core_files(portal: srv.PortalServer) -> None:
    """Workers hold mailbox keys, KDF children receipt codes: neither may leave a core file or
    be read by another process of the same user (gunicorn_conf.post_fork, hardening.process;
    the "dumpable" half is checked in tests/hardening/test_process.py: as root it shows in no
    file)."""
    http = requests.Session()
    csrf, nonce = srv.form_tokens(http, portal)
    assert (
        http.post(
            portal.url("/report"),
            data={"csrf_token": csrf, "nonce": nonce, "facts": "x", "acknowledge": "y"},
            files={"files": ("a.txt", b"a")},
        ).status_code
        == 200
    )
    worker = portal.worker_pid()
    children = [
        int(pid)
        for task in Path(f"/proc/{worker}/task").iterdir()
        for pid in (task / "children").read_text().split()
    ]
    assert children, "the report's receipt code was derived in no child process"
    for pid in (worker, *children):
        limits = Path(f"/proc/{pid}/limits").read_text().splitlines()
        core = next(line for line in limits if line.startswith("Max core file size"))
        assert core.split()[4:6] == ["0", "0"], (pid, core)


def test_a_stalled_upload_is_given_up(demo: DemoInstance, tmp_path: Path) -> None:
    server = srv.start_portal(demo.path, tmp_path / "run", ADAL_BODY_IDLE_SECONDS="2")
    try:
        sock = srv.stalled_upload(server, requests.Session(), "stalled")
        started = time.monotonic()
        answer = sock.recv(65536)  # the server's answer, or its close
        sock.close()
        assert time.monotonic() - started < 20
        assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer[:200]
        assert requests.get(server.url("/"), timeout=10).status_code == 200
    finally:
        server.stop()


def test_upload_slots_keep_pages_and_plain_reports_going(
    demo: DemoInstance, tmp_path: Path
) -> None:
    server = srv.start_portal(demo.path, tmp_path / "run", ADAL_UPLOAD_SLOTS="1")
    try:
        stalled = srv.stalled_upload(server, requests.Session(), "slow sender")
        time.sleep(1.0)  # its file part has begun: the one slot is taken
        http = requests.Session()
        csrf, nonce = srv.form_tokens(http, server)
        fields = {"csrf_token": csrf, "nonce": nonce, "facts": MARK_TEXT, "acknowledge": "y"}
        busy = http.post(
            server.url("/report"),
            data=fields,
            files={"files": ("e.pdf", b"%PDF evidence")},
            timeout=30,
        )
        assert busy.status_code == 503 and busy.headers["Retry-After"].isdigit()
        assert busy.headers["Connection"].lower() == "close"
        # The form itself comes back, with the text, and a message that says why.
        assert f"{MARK_TEXT}</textarea>" in busy.text and 'action="/report"' in busy.text
        started = time.monotonic()
        assert requests.get(server.url("/"), timeout=10).status_code == 200
        assert time.monotonic() - started < 5
        # A report without files needs no slot (the browser sends the empty file input).
        plain = http.post(
            server.url("/report"), data=fields, files={"files": ("", b"")}, timeout=30
        )
        assert plain.status_code == 200 and srv.CODE.search(plain.text)
        stalled.close()
        deadline = time.monotonic() + 20
        while True:  # the slot comes back once the stalled body is given up
            csrf, nonce = srv.form_tokens(http, server)
            sent = http.post(
                server.url("/report"),
                files={"files": ("e.pdf", b"%PDF")},
                data={**fields, "csrf_token": csrf, "nonce": nonce},
                timeout=30,
            )
            if sent.status_code != 503 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert sent.status_code == 200 and srv.CODE.search(sent.text)
    finally:
        server.stop()


def test_refused_stalled_uploads_free_their_threads_at_once(
    demo: DemoInstance, tmp_path: Path
) -> None:
    """A refused body is drained only with a free upload slot, and never past its deadline: a
    crowd of stalled uploads past the slots cannot hold the threads in the drain instead."""
    server = srv.start_portal(demo.path, tmp_path / "run", ADAL_UPLOAD_SLOTS="1")
    holder = srv.stalled_upload(server, requests.Session(), "holds the slot")
    crowd: list[socket.socket] = []
    try:
        time.sleep(1.0)
        started = time.monotonic()
        for i in range(6):  # more than the worker's threads; half of them declared too large
            crowd.append(
                srv.stalled_upload(
                    server,
                    requests.Session(),
                    f"crowd {i}",
                    declared=3 << 30 if i % 2 else 50_000_000,
                )
            )
        for i, sock in enumerate(crowd):
            answer = sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 413" if i % 2 else b"HTTP/1.1 503"), answer[:100]
        assert time.monotonic() - started < 30  # no drain without a slot: 60 s each before
        assert requests.get(server.url("/"), timeout=10).status_code == 200
    finally:
        for sock in [holder, *crowd]:
            sock.close()
        server.stop()
