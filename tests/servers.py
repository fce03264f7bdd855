"""The real thing on loopback: `adal portal` and `adal handler` under gunicorn, as deployed.

Used by the browser tests, the crash test and bench/load.py. Each server gets a free port on
127.0.0.1, the instance and database it is given, and a log file that holds everything gunicorn
and the app wrote, so a test can show it on failure and check it for tracebacks.

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
from typing import IO

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from installation import instance as store_instance
from store.db import make_engine, session_factory
from tests.support import DemoInstance

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# The fast Argon2 settings of tests/support.py: a production KDF would make every receipt and
# every sign-in cost a quarter of a second.
FAST_KDF = ("--kdf-time-cost", "1", "--kdf-memory-kib", "8192")
READY_PATHS = {"portal": "/", "handler": "/login"}
# What an application failure looks like in a log: Python's traceback header, the portal's
# and the back office's own "unhandled" lines, and Flask's default exception log.
_PROBLEM = re.compile(r"Traceback \(most recent call last\)|unhandled|Exception on /")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def compile_translations() -> None:
    """.mo files are build output (not committed); the servers need them up to date."""
    catalogs = [*ROOT.glob("portal/translations/*/LC_MESSAGES/*.po"),
                *ROOT.glob("handler/translations/*/LC_MESSAGES/*.po")]
    stale = [po for po in catalogs if not po.with_suffix(".mo").exists()
             or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime]
    if stale:
        subprocess.run(["bash", str(ROOT / "scripts" / "compile-translations.sh"), str(BIN)],
                       check=True, cwd=ROOT, capture_output=True)


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
        fields = stat[stat.rindex(")") + 2:].split()
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
        return [line for line in self.log().splitlines()
                if _PROBLEM.search(line) and not any(a in line for a in allowed)]

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        target = self.url + self.ready_path
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.app} exited with {self.process.returncode}:\n"
                                   f"{self.log()[-4000:]}")
            with suppress(requests.RequestException):
                if requests.get(target, timeout=2, allow_redirects=False).status_code < 500:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"{self.app} not ready after {timeout}s:\n{self.log()[-4000:]}")

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM to the master (gunicorn's graceful stop); SIGKILL after `timeout`."""
        workers = self.workers()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for pid in workers:  # orphaned workers of a killed master: only ours, by pid
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._log.close()
        return self.process.returncode


def server_env(instance: Path, database_url: str,
               extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "ADAL_INSTANCE": str(instance),
        "ADAL_DATABASE_URL": database_url,
        # Plain HTTP on loopback: without this the cookies are Secure and __Host- and a
        # browser would not send them back over http://127.0.0.1.
        "ADAL_INSECURE_COOKIES": "1",
    })
    env.update(extra or {})
    return env


def launch(app: str, instance: Path, database_url: str, log_dir: Path, *, workers: int = 1,
           threads: int = 4, port: int | None = None,
           extra_env: Mapping[str, str] | None = None) -> Server:
    """Start `adal <app>` without waiting for it (see Server.wait_ready)."""
    port = port or free_port()
    argv = [str(BIN / "adal"), app, "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--threads", str(threads)]
    return spawn(app, argv, port, server_env(instance, database_url, extra_env), log_dir,
                 READY_PATHS[app])


def spawn(label: str, argv: list[str], port: int, env: Mapping[str, str], log_dir: Path,
          ready_path: str = "/") -> Server:
    """Any HTTP server command on `port`, its output in a log file of its own."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{label}-{port}-{secrets.token_hex(3)}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                               env=dict(env))
    return Server(label, port, process, log_path, log, ready_path)


def start(app: str, instance: Path, database_url: str, log_dir: Path, *,
          ready_timeout: float = 60.0, **options: object) -> Server:
    """Start `adal <app>` and return once it answers HTTP."""
    return ready([launch(app, instance, database_url, log_dir, **options)],  # type: ignore[arg-type]
                 ready_timeout)[0]


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


@contextmanager
def scratch_database(folder: Path, prefix: str = "adal_srv") -> Iterator[str]:
    """SQLite in `folder`, or a new database on ADAL_TEST_POSTGRES_URL, dropped afterwards."""
    admin_url = os.environ.get("ADAL_TEST_POSTGRES_URL")
    if not admin_url:
        yield f"sqlite:///{folder / 'adal.db'}"
        return
    url = make_url(admin_url)
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def init_demo(instance: Path, database_url: str, kdf: tuple[str, ...] = FAST_KDF) -> str:
    """`adal init --demo` in a subprocess (this process's environment stays untouched);
    returns its output, which holds the recovery key."""
    result = subprocess.run([str(BIN / "adal"), "init", "--demo", *kdf], cwd=ROOT,
                            env=server_env(instance, database_url), capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"adal init failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def open_demo(instance: Path, database_url: str, init_output: str) -> DemoInstance:
    """The same handle the `demo` fixture gives, for an instance made by `init_demo`."""
    engine = make_engine(database_url)
    return DemoInstance(instance, store_instance.load(instance), engine,
                        session_factory(engine), init_output)
