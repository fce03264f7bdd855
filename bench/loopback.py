"""The real thing on loopback: `adal portal` and `adal handler` under gunicorn, as deployed.

Used by bench/load.py and bench/upload.py, and by the tests that need real servers (browser,
crash, gunicorn and deployment tests). It lives here, not under tests/, because a benchmark
must not import the test suite; the tests import it from here instead.

Each server gets a free port on 127.0.0.1, the instance and database it is given, and a log
file that holds everything gunicorn and the app wrote, so a test can show it on failure and
check it for tracebacks.

`adal portal` execs gunicorn, so the process started here IS the gunicorn master; its children
are the workers (the crash test kills them).
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Fast Argon2 settings (the tests' too): a production KDF would make every receipt and every
# sign-in cost a quarter of a second.
FAST_KDF = ("--kdf-time-cost", "1", "--kdf-memory-kib", "8192")
READY_PATHS = {"portal": "/", "handler": "/login"}
# What an application failure looks like in a log: Python's traceback header, the portal's
# and the back office's own "unhandled" lines, and Flask's default exception log.
_PROBLEM = re.compile(r"Traceback \(most recent call last\)|unhandled|Exception on /")


def free_port() -> int:
    """A port nobody listens on now; the caller binds it soon after (a small race, accepted
    because every server here is ours and short-lived)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def compile_translations() -> None:
    """.mo files are build output (not committed); the servers need them up to date."""
    catalogs = [
        *ROOT.glob("portal/translations/*/LC_MESSAGES/*.po"),
        *ROOT.glob("handler/translations/*/LC_MESSAGES/*.po"),
    ]
    stale = [
        po
        for po in catalogs
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        subprocess.run(
            ["bash", str(ROOT / "scripts" / "compile-translations.sh"), str(BIN)],
            check=True,
            cwd=ROOT,
            capture_output=True,
        )


def terminate(process: subprocess.Popen[Any], timeout: float = 30.0) -> None:
    """SIGTERM (a graceful stop for gunicorn and Caddy), SIGKILL if it is not gone in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def child_pids(parent: int) -> list[int]:
    """Processes whose parent is `parent`, read from /proc (no psutil needed)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked
        # The command name is in parentheses and may contain spaces: split after it.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == parent:
            found.append(int(entry.name))
    return sorted(found)


@dataclass
class Server:
    app: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] = field(repr=False)
    ready_path: str = "/"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def master_pid(self) -> int:
        return self.process.pid

    def workers(self) -> list[int]:
        return child_pids(self.master_pid)

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def problems(self, allowed: tuple[str, ...] = ()) -> list[str]:
        """Log lines that show an application failure, except those matching `allowed`."""
        return [
            line
            for line in self.log().splitlines()
            if _PROBLEM.search(line) and not any(a in line for a in allowed)
        ]

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        target = self.url + self.ready_path
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.app} exited with {self.process.returncode}:\n{self.log()[-4000:]}"
                )
            with suppress(requests.RequestException):
                if requests.get(target, timeout=2, allow_redirects=False).status_code < 500:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"{self.app} not ready after {timeout}s:\n{self.log()[-4000:]}")

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM to the master (gunicorn's graceful stop); SIGKILL after `timeout`."""
        workers = self.workers()
        terminate(self.process, timeout)
        for pid in workers:  # orphaned workers of a killed master: only ours, by pid
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._log.close()
        return self.process.returncode


def server_env(
    instance: Path, database_url: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "ADAL_INSTANCE": str(instance),
            "ADAL_DATABASE_URL": database_url,
            # Plain HTTP on loopback: without this the cookies are Secure and __Host- and a
            # browser would not send them back over http://127.0.0.1.
            "ADAL_INSECURE_COOKIES": "1",
        }
    )
    env.update(extra or {})
    return env


def launch(
    app: str,
    instance: Path,
    database_url: str,
    log_dir: Path,
    *,
    workers: int = 1,
    threads: int = 4,
    port: int | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Server:
    """Start `adal <app>` without waiting for it (see Server.wait_ready)."""
    port = port or free_port()
    argv = [
        str(BIN / "adal"),
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]
    return spawn(
        app, argv, port, server_env(instance, database_url, extra_env), log_dir, READY_PATHS[app]
    )


def spawn(
    label: str,
    argv: list[str],
    port: int,
    env: Mapping[str, str],
    log_dir: Path,
    ready_path: str = "/",
) -> Server:
    """Any HTTP server command on `port`, its output in a log file of its own."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{label}-{port}-{secrets.token_hex(3)}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=dict(env))
    return Server(label, port, process, log_path, log, ready_path)


def start(
    app: str,
    instance: Path,
    database_url: str,
    log_dir: Path,
    *,
    ready_timeout: float = 60.0,
    **options: object,
) -> Server:
    """Start `adal <app>` and return once it answers HTTP."""
    return ready(
        [launch(app, instance, database_url, log_dir, **options)],  # type: ignore[arg-type]
        ready_timeout,
    )[0]


def ready(started: list[Server], timeout: float = 60.0) -> list[Server]:
    """Wait for servers launched together (they start in parallel); stop all on failure."""
    try:
        for server in started:
            server.wait_ready(timeout)
    except BaseException:
        for server in started:
            server.stop(timeout=5)
        raise
    return started


@contextmanager
def serving(*started: Server, timeout: float = 60.0) -> Iterator[list[Server]]:
    """Wait for launched servers, yield them, and stop them all at the end."""
    ready(list(started), timeout)
    try:
        yield list(started)
    finally:
        for server in started:
            server.stop()


# --- an instance of our own, for fixtures wider than one test ------------------------------


def postgres_admin_url() -> str | None:
    """The server the PostgreSQL test pass runs on (scripts/test.sh sets it), or None."""
    return os.environ.get("ADAL_TEST_POSTGRES_URL") or None


def create_database(name: str, template: str | None = None) -> str:
    """A new PostgreSQL database (a copy of `template` if given); returns its URL.

    CREATE DATABASE ... TEMPLATE copies files on the server: far cheaper than running the
    migrations and `adal init` again.
    """
    url = make_url(postgres_admin_url() or "")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            suffix = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    admin = create_engine(make_url(postgres_admin_url() or ""), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def database_name(prefix: str) -> str:
    # Random, not numbered: parallel runs (xdist workers, other checkouts) share one server.
    return f"{prefix}_{secrets.token_hex(6)}"


@contextmanager
def scratch_database(
    folder: Path, prefix: str = "adal_srv", template: str | None = None
) -> Iterator[str]:
    """SQLite in `folder`, or a new database on ADAL_TEST_POSTGRES_URL, dropped afterwards."""
    if not postgres_admin_url():
        yield f"sqlite:///{folder / 'adal.db'}"
        return
    name = database_name(prefix)
    url = create_database(name, template)
    try:
        yield url
    finally:
        drop_database(name)


def init_demo(instance: Path, database_url: str, kdf: tuple[str, ...] = FAST_KDF) -> str:
    """`adal init --demo` in a subprocess (this process's environment stays untouched);
    returns its output, which holds the recovery key."""
    result = subprocess.run(
        [str(BIN / "adal"), "init", "--demo", *kdf],
        cwd=ROOT,
        env=server_env(instance, database_url),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"adal init failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def demo_credentials(instance: Path) -> dict[str, dict[str, str]]:
    """The demo users `adal init --demo` wrote to the instance's demo-credentials.txt:
    {role: {"username", "password", "totp secret"}}."""
    users: dict[str, dict[str, str]] = {}
    role = ""
    for line in (instance / "demo-credentials.txt").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        if not line.startswith(" "):
            role = line.strip()
            users[role] = {}
        else:
            key, _, value = line.strip().partition(": ")
            users[role][key] = value
    return users


# --- one `adal portal` of its own, for the upload and gunicorn tests and bench/upload.py -----
# Started through `python -c` with the checkout on PYTHONPATH and TMPDIR in its work folder, so
# a test can watch the worker's temporary files and memory.

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
NONCE = re.compile(r'name="nonce" type="hidden" value="([^"]+)"')
CODE = re.compile(r'<p class="code"[^>]*><strong>([0-9 ]{24})</strong>')


@dataclass
class PortalServer:
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
        terminate(self.proc)


def vm_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def start_portal(instance: Path, workdir: Path, **env: str) -> PortalServer:
    """`adal portal` with the instance, TMPDIR inside workdir, stdout+stderr to a log file."""
    tmpdir = workdir / "tmp"
    tmpdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "portal.log"
    port = free_port()
    environ = dict(
        os.environ,
        ADAL_INSTANCE=str(instance),
        ADAL_INSECURE_COOKIES="1",
        TMPDIR=str(tmpdir),
        PYTHONPATH=str(ROOT),
        **env,
    )
    cmd = [
        sys.executable,
        "-c",
        "from adal_cli.main import main; main()",
        "portal",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--threads",
        "4",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=environ, stdout=out, stderr=subprocess.STDOUT)
    server = PortalServer(proc, port, log, tmpdir)
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


def form_tokens(http: requests.Session, server: PortalServer) -> tuple[str, str]:
    page = http.get(server.url("/report")).text
    csrf, nonce = CSRF.search(page), NONCE.search(page)
    assert csrf and nonce
    return csrf.group(1), nonce.group(1)


class StreamedBody:
    """A multipart body with one large generated file, read in pieces (never built whole)."""

    def __init__(
        self,
        fields: dict[str, str],
        filename: str,
        size: int,
        pattern: bytes,
        on_read: object = None,
        boundary: str = "adalbenchboundary",
    ) -> None:
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode()
            + v.encode()
            + b"\r\n"
            for k, v in fields.items()
        )
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
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
                piece = head[self._pos : self._pos + n - len(out)]
            elif self._pos < len(head) + self.size:
                offset = self._pos - len(head)
                want = min(n - len(out), self.size - offset)
                start = offset % len(self.pattern)
                reps = (start + want) // len(self.pattern) + 1
                piece = (self.pattern * reps)[start : start + want]
            else:
                offset = self._pos - len(head) - self.size
                piece = tail[offset : offset + n - len(out)]
            out += piece
            self._pos += len(piece)
        if callable(self.on_read):
            self.on_read(self._pos, self._total)
        return bytes(out)


def stalled_upload(
    server: PortalServer, http: requests.Session, facts: str, declared: int = 50_000_000
) -> socket.socket:
    """A report whose file part begins and then goes quiet, the socket left open."""
    csrf, nonce = form_tokens(http, server)
    head = b"".join(
        f'--stall\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in (("csrf_token", csrf), ("nonce", nonce), ("facts", facts), ("acknowledge", "y"))
    )
    head += (
        b'--stall\r\nContent-Disposition: form-data; name="files"; filename="s.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + b"s" * 200_000
    )
    cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
    request = (
        f"POST /report HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Content-Type: multipart/form-data; boundary=stall\r\n"
        f"Content-Length: {len(head) + declared}\r\nCookie: {cookie}\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    sock.sendall(request + head)
    return sock
