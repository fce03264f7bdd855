"""Real processes on loopback ports for the deployment tests: Caddy with the repository's
Caddyfile, `adal portal` / `adal handler` under gunicorn, and taps that record every byte Caddy
sends upstream.

Requests come from a marked client: source address CLIENT_IP (any 127.x address is local on
Linux), a forged X-Forwarded-For and a marker User-Agent. None of the three may appear in a
log, a file Caddy wrote, or the bytes an upstream received.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from bench.loopback import ROOT, free_port, terminate

CADDYFILE = ROOT / "Caddyfile"
ADAL = Path(sys.executable).with_name("adal")

CLIENT_IP = "127.66.77.88"
FORGED_XFF = "203.0.113.66"
MARKER_AGENT = "Marker-Agent/7.7 (reporter's own browser)"
MARKERS = (CLIENT_IP, FORGED_XFF, "Marker-Agent")
MARKER_HEADERS = {
    "User-Agent": MARKER_AGENT,
    "X-Forwarded-For": FORGED_XFF,
    "X-Real-IP": FORGED_XFF,
    "Forwarded": f"for={FORGED_XFF}",
    "Sec-CH-UA-Platform": '"Marker-Agent"',
    "Referer": f"https://{FORGED_XFF}/",
}
# Forwarding headers Caddy would add itself; the portal must never receive one.
FORWARDING = (
    b"x-forwarded-for",
    b"x-forwarded-proto",
    b"x-forwarded-host",
    b"x-real-ip",
    b"forwarded:",
    b"via:",
)


def wait_for_port(port: int, proc: subprocess.Popen[Any], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"process exited ({proc.returncode}):\n{tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"port {port} never opened:\n{tail(log)}")


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Process:
    name: str
    proc: subprocess.Popen[Any]
    log: Path

    def stop(self) -> None:
        terminate(self.proc)


def launch(name: str, argv: list[str], env: Mapping[str, str], logdir: Path) -> Process:
    """Start a process with its output in logdir/NAME.log; `ready` waits for its port."""
    log = logdir / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, env=dict(env), stdout=out, stderr=subprocess.STDOUT, cwd=logdir
        )
    return Process(name, proc, log)


def ready(process: Process, *ports: int) -> Process:
    try:
        for port in ports:
            wait_for_port(port, process.proc, process.log)
    except BaseException:
        process.stop()
        raise
    return process


def launch_app(app: str, port: int, env: Mapping[str, str], logdir: Path) -> Process:
    return launch(
        f"{app}-{port}",
        [
            str(ADAL),
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--threads",
            "4",
        ],
        env,
        logdir,
    )


class Tap:
    """A TCP relay from a loopback port to `upstream`, keeping what the client side sent."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.sent = bytearray()
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream))
            except OSError:
                client.close()
                continue
            done = threading.Semaphore(0)
            for src, dst, record in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(
                    target=self._pipe, args=(src, dst, record, done), daemon=True
                ).start()
            threading.Thread(
                target=self._close_after, args=(client, upstream, done), daemon=True
            ).start()

    def _pipe(
        self, src: socket.socket, dst: socket.socket, record: bool, done: threading.Semaphore
    ) -> None:
        try:
            while data := src.recv(65536):
                if record:
                    with self._lock:
                        self.sent += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)
            done.release()

    @staticmethod
    def _close_after(a: socket.socket, b: socket.socket, done: threading.Semaphore) -> None:
        done.acquire()
        done.acquire()
        a.close()
        b.close()

    def requests(self) -> list[str]:
        """The request lines the upstream received, in order ("POST /report")."""
        with self._lock:
            data = bytes(self.sent)
        # Not anchored to a line start: a request may follow a body that ends without one.
        return [
            m.group(1).decode()
            for m in re.finditer(rb"((?:GET|POST|HEAD) /[!-~]*) HTTP/1\.1\r\n", data)
        ]

    def close(self) -> None:
        self._server.close()


class _FromClientIP(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (CLIENT_IP, 0)
        super().init_poolmanager(*args, **kwargs)


def client(verify: str | bool) -> requests.Session:
    """A browser stand-in: marker headers on every request, connecting from CLIENT_IP."""
    session = requests.Session()
    # No CA bundle or proxy from the environment: only Caddy's own CA, only loopback.
    session.trust_env = False
    session.mount("http://", _FromClientIP())
    session.mount("https://", _FromClientIP())
    session.headers.update(MARKER_HEADERS)
    session.verify = verify
    return session


@dataclass
class Caddy:
    process: Process
    home: Path
    https_port: int
    http_port: int
    onion_port: int
    handler_port: int
    env: dict[str, str] = field(default_factory=dict)

    @property
    def root_ca(self) -> Path:
        return self.home / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"

    def portal(self, path: str = "/") -> str:
        return f"https://localhost:{self.https_port}{path}"

    def onion(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.onion_port}{path}"

    def backoffice(self, path: str = "/") -> str:
        return f"https://localhost:{self.handler_port}{path}"

    def written(self) -> dict[Path, bytes]:
        """Everything Caddy wrote: its output and every file under its home."""
        files = {self.process.log: self.process.log.read_bytes()}
        for path in self.home.rglob("*"):
            if path.is_file():
                files[path] = path.read_bytes()
        return files


def start_caddy(
    tmp: Path,
    portal_upstreams: list[int],
    handler_upstream: int,
    caddyfile: Path = CADDYFILE,
    extra_env: Mapping[str, str] | None = None,
) -> Caddy:
    binary = os.environ.get("ADAL_TEST_CADDY", "caddy")
    home = tmp / "caddy-home"
    home.mkdir()
    ports = {name: free_port() for name in ("https", "http", "onion", "handler")}
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "ADAL_CADDY_ADMIN": "off",
        "ADAL_PORTAL_DOMAIN": "localhost",
        "ADAL_HTTPS_PORT": str(ports["https"]),
        "ADAL_HTTP_PORT": str(ports["http"]),
        "ADAL_ONION_PORT": str(ports["onion"]),
        "ADAL_HANDLER_DOMAIN": "localhost",
        "ADAL_HANDLER_PORT": str(ports["handler"]),
        "ADAL_HANDLER_BIND": "127.0.0.1",
        "ADAL_HANDLER_UPSTREAM": f"127.0.0.1:{handler_upstream}",
        "ADAL_PORTAL_UPSTREAMS": " ".join(f"127.0.0.1:{p}" for p in portal_upstreams),
        # Deterministic alternation, so a test can tell which portal process served what.
        "ADAL_PORTAL_LB_POLICY": "round_robin",
        **(extra_env or {}),
    }
    argv = [binary, "run", "--config", str(caddyfile), "--adapter", "caddyfile"]
    for _attempt in range(3):
        process = ready(
            launch("caddy", argv, env, tmp), ports["https"], ports["onion"], ports["handler"]
        )
        if _certificate_ready(process):
            return Caddy(
                process, home, ports["https"], ports["http"], ports["onion"], ports["handler"], env
            )
        process.stop()
    raise AssertionError(f"Caddy never obtained its certificate:\n{tail(process.log)}")


def _certificate_ready(process: Process, timeout: float = 20) -> bool:
    """Caddy 2.6 can race its own storage cleaner on a fresh data directory and then waits a
    minute before retrying the internal certificate; a restart is quicker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = process.log.read_text(errors="replace")
        if "certificate obtained successfully" in log:
            return True
        if "will retry" in log or process.proc.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def get_until_ready(
    session: requests.Session,
    url: str,
    timeout: float = 30,
) -> requests.Response:
    """The first request after start may race Caddy's internal certificate issuance."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return session.get(url, timeout=10)
        except requests.exceptions.SSLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
