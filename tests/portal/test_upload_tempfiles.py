"""An upload under the real server leaves no plaintext in a temporary file: not a visible one,
and not a hidden one (created and unlinked at once, kept open: invisible to a directory scan,
readable through /proc by anyone with the worker's rights, and left on a swap or tmpfs)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import requests
from sqlalchemy import make_url

from bench import loopback as srv
from tests.support.instance import DemoInstance

TEMP_ROOTS = ("/tmp", "/var/tmp", "/dev/shm")  # nosec B108
# gunicorn's worker heartbeat: mkstemp(prefix="wgunicorn-") in worker_tmp_dir (/dev/shm, see
# adal_cli/gunicorn_conf.py), unlinked at once and only ever utime()d. It holds no data.
HEARTBEAT = re.compile(r"^/dev/shm/wgunicorn-[A-Za-z0-9_]+ \(deleted\)$")
SIZE = 32 * 1024 * 1024


def open_paths(pid: int) -> list[str]:
    """Where the process's file descriptors point (sockets and pipes are not paths)."""
    links = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            links.append(os.readlink(fd))
        except FileNotFoundError:  # closed while we looked
            continue
    return [link for link in links if link.startswith("/")]


def under(path: str, *roots: str | Path) -> bool:
    return any(path == str(root) or path.startswith(str(root).rstrip("/") + "/") for root in roots)


def hidden_or_temporary(paths: list[str], *allowed: str) -> list[str]:
    """Unlinked files, and files in a temp folder other than the ones the test set up there
    (`allowed`: a file, or a SQLite database with its -wal, -shm and -journal files)."""

    def set_up(path: str) -> bool:
        return any(path in (a, f"{a}-wal", f"{a}-shm", f"{a}-journal") for a in allowed)

    return [
        path
        for path in paths
        if not HEARTBEAT.match(path)
        and (path.endswith(" (deleted)") or (under(path, *TEMP_ROOTS) and not set_up(path)))
    ]


def new_files(since: float) -> Iterator[Path]:
    """Regular files under the temp folders changed since `since`; vanishing ones are skipped."""
    for root in TEMP_ROOTS:
        for folder, _dirs, names in os.walk(root):
            for name in names:
                path = Path(folder, name)
                try:
                    st = path.lstat()
                except OSError:
                    continue
                if (
                    path.is_file()
                    and not path.is_symlink()
                    and max(st.st_mtime, st.st_ctime) >= since
                ):
                    yield path


def contains(path: Path, marker: bytes) -> bool:
    tail = b""
    try:
        with path.open("rb") as f:
            while block := f.read(1024 * 1024):
                if marker in tail + block:
                    return True
                tail = block[-len(marker) :]
    except OSError:
        return False
    return False


def test_no_hidden_temp_file_during_or_after_an_upload(demo: DemoInstance, tmp_path: Path) -> None:
    began = time.time() - 1
    marker = b"TEMPFILE-PLAINTEXT-" + os.urandom(8).hex().encode()
    server = srv.start_portal(demo.path, tmp_path / "run")
    try:
        worker = server.worker_pid()
        # The test's own instance lives under /tmp: its SQLite database and the server's log.
        database = make_url(demo.instance.database_url)
        allowed = [str(server.log)]
        if database.get_backend_name() == "sqlite" and database.database:
            allowed.append(str(Path(database.database).resolve()))
        idle = open_paths(worker)
        assert [p for p in idle if HEARTBEAT.match(p)], f"no heartbeat file among {idle}"
        assert hidden_or_temporary(idle, *allowed) == []

        samples: list[list[str]] = []

        def during(pos: int, total: int) -> None:
            if len(samples) < 3 and pos > total * (len(samples) + 1) // 4:
                samples.append(open_paths(worker))

        http = requests.Session()
        csrf, nonce = srv.form_tokens(http, server)
        body = srv.StreamedBody(
            {"csrf_token": csrf, "nonce": nonce, "facts": "temp files?", "acknowledge": "y"},
            "evidence.bin",
            SIZE,
            os.urandom(4000) + marker,
            on_read=during,
        )
        response = http.post(
            server.url("/report"), data=body, headers={"Content-Type": body.content_type}
        )
        assert response.status_code == 200 and srv.CODE.search(response.text)
        assert len(samples) == 3, "the upload was not watched while it streamed"
        for paths in samples:
            assert hidden_or_temporary(paths, *allowed) == []
        assert hidden_or_temporary(open_paths(worker), *allowed) == []
    finally:
        server.stop()
    with_plaintext = [str(p) for p in new_files(began) if contains(p, marker)]
    assert with_plaintext == []
