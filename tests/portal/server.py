"""A real `adal portal` (gunicorn) on a free loopback port, for the tests that need one."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
NONCE = re.compile(r'name="nonce" type="hidden" value="([^"]+)"')
CODE = re.compile(r'<p class="code"[^>]*><strong>([0-9 ]{24})</strong>')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    tmpdir: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        return int(children.split()[0])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def vm_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def start(instance: Path, workdir: Path, **env: str) -> Server:
    """`adal portal` with the instance, TMPDIR inside workdir, stdout+stderr to a log file."""
    tmpdir = workdir / "tmp"
    tmpdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "portal.log"
    port = free_port()
    environ = dict(os.environ, ADAL_INSTANCE=str(instance), ADAL_INSECURE_COOKIES="1",
                   TMPDIR=str(tmpdir), PYTHONPATH=str(ROOT), **env)
    cmd = [sys.executable, "-c", "from adal_cli.main import main; main()", "portal",
           "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--threads", "4"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=environ, stdout=out,
                                stderr=subprocess.STDOUT)
    server = Server(proc, port, log, tmpdir)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("portal exited: " + log.read_text(errors="replace")[-2000:])
            try:
                if requests.get(server.url("/"), timeout=2).status_code == 200:
                    return server
            except (requests.ConnectionError, requests.Timeout):  # still starting
                time.sleep(0.2)
        raise RuntimeError("portal did not start")
    except BaseException:
        server.stop()  # never leave a server running behind a failed start
        raise


def form_tokens(http: requests.Session, server: Server) -> tuple[str, str]:
    page = http.get(server.url("/report")).text
    csrf, nonce = CSRF.search(page), NONCE.search(page)
    assert csrf and nonce
    return csrf.group(1), nonce.group(1)


class StreamedBody:
    """A multipart body with one large generated file, read in pieces (never built whole)."""

    def __init__(self, fields: dict[str, str], filename: str, size: int, pattern: bytes,
                 on_read: object = None, boundary: str = "adalbenchboundary") -> None:
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode()
            + v.encode() + b"\r\n" for k, v in fields.items())
        head += (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
                 f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                 ).encode()
        self.parts = [head, b"", f"\r\n--{boundary}--\r\n".encode()]
        self.size = size
        self.pattern = pattern
        self.sent = 0
        self.content_type = f"multipart/form-data; boundary={boundary}"
        self.on_read = on_read
        self._pos = 0
        self._total = len(head) + size + len(self.parts[2])

    def __len__(self) -> int:
        return self._total

    def read(self, n: int = -1) -> bytes:
        n = 1024 * 1024 if n is None or n < 0 else min(n, 1024 * 1024)
        out = bytearray()
        while len(out) < n and self._pos < self._total:
            head, tail = self.parts[0], self.parts[2]
            if self._pos < len(head):
                piece = head[self._pos:self._pos + n - len(out)]
            elif self._pos < len(head) + self.size:
                offset = self._pos - len(head)
                want = min(n - len(out), self.size - offset)
                start = offset % len(self.pattern)
                reps = (start + want) // len(self.pattern) + 1
                piece = (self.pattern * reps)[start:start + want]
            else:
                offset = self._pos - len(head) - self.size
                piece = tail[offset:offset + n - len(out)]
            out += piece
            self._pos += len(piece)
        if callable(self.on_read):
            self.on_read(self._pos, self._total)
        return bytes(out)


def stalled_upload(server: Server, http: requests.Session, facts: str,
                    declared: int = 50_000_000) -> socket.socket:
    """A report whose file part begins and then goes quiet, the socket left open."""
    csrf, nonce = form_tokens(http, server)
    head = b"".join(
        f'--stall\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in (("csrf_token", csrf), ("nonce", nonce), ("facts", facts),
                     ("acknowledge", "y")))
    head += (b'--stall\r\nContent-Disposition: form-data; name="files"; filename="s.bin"\r\n'
             b"Content-Type: application/octet-stream\r\n\r\n" + b"s" * 200_000)
    cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
    request = (f"POST /report HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
               f"Content-Type: multipart/form-data; boundary=stall\r\n"
               f"Content-Length: {len(head) + declared}\r\nCookie: {cookie}\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    sock.sendall(request + head)
    return sock
