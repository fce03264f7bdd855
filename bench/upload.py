"""Upload benchmark: a large file through the real portal (gunicorn), and pages under a login flood.

    .venv/bin/python bench/upload.py [--size-mib 1024] [--flood-seconds 5]

Prints upload throughput (MB/s), the worker's peak RSS (VmHWM from /proc) before and after (the
target: under 64 MiB), whether any file appeared in the server's TMPDIR during or after the upload,
the peak RSS of the worker's receipt-KDF child processes, the latency of GET / while uploads
stall mid-file (slowloris) and what a real report with a file gets meanwhile, and the latency of
GET / while the receipt-KDF queue is saturated by concurrent logins (production Argon2
parameters, 1 slot), after timing mailbox logins with a known code and with well-formed unknown
ones (the answer's time must not tell them apart). Exits 1 when the memory or temp-file target
is not met.
Everything runs on 127.0.0.1 in a throw-away instance; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import loopback as srv  # noqa: E402
from crypto import receipt  # noqa: E402


def init_instance(path: Path, time_cost: int, memory_kib: int) -> None:
    env = dict(os.environ, ADAL_INSTANCE=str(path), PYTHONPATH=str(ROOT))
    env.pop("ADAL_DATABASE_URL", None)  # a private SQLite database in the instance
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from adal_cli.main import main; main()",
            "init",
            "--demo",
            "--kdf-time-cost",
            str(time_cost),
            "--kdf-memory-kib",
            str(memory_kib),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


PEAK_TARGET_MIB = 64  # issue: the worker's peak RSS while streaming 1 GiB


def upload(work: Path, size_mib: int) -> tuple[float, set[str]]:
    init_instance(work / "instance", 1, 8192)
    server = srv.start_portal(
        work / "instance", work / "run", ADAL_MAX_UPLOAD_BYTES=str((size_mib + 16) * 1024 * 1024)
    )
    try:
        http = requests.Session()
        csrf, nonce = srv.form_tokens(http, server)
        warm = srv.StreamedBody(
            {"csrf_token": csrf, "nonce": nonce, "facts": "warm-up", "acknowledge": "y"},
            "w.bin",
            4 << 20,
            b"w" * 4099,
        )
        sent = http.post(
            server.url("/report"), data=warm, headers={"Content-Type": warm.content_type}
        )
        assert sent.status_code == 200, sent.status_code
        # The worker's steady state, not a fresh one: every page in every language, the
        # mailbox with its thread among them, before the baseline is taken.
        found = srv.CODE.search(sent.text)
        assert found
        login = srv.CSRF.search(http.get(server.url("/mailbox")).text)
        assert login
        http.post(
            server.url("/mailbox/login"),
            data={"csrf_token": login.group(1), "code": found.group(1)},
        )
        for lang in ("kk", "ru", "en"):
            http.get(server.url(f"/lang/{lang}?next=/"))
            for page in ("/", "/rights", "/report", "/mailbox"):
                assert http.get(server.url(page)).status_code == 200
        http = requests.Session()
        worker = server.worker_pid()
        before = srv.vm_kib(worker, "VmHWM")
        tmp_seen: set[str] = set()
        rss_samples: list[int] = []

        def during(pos: int, total: int) -> None:
            if pos % (64 << 20) < (1 << 20):
                tmp_seen.update(p.name for p in server.tmpdir.rglob("*"))
                rss_samples.append(srv.vm_kib(worker, "VmRSS"))

        csrf, nonce = srv.form_tokens(http, server)
        size = size_mib << 20
        body = srv.StreamedBody(
            {"csrf_token": csrf, "nonce": nonce, "facts": "benchmark", "acknowledge": "y"},
            "big.bin",
            size,
            os.urandom(1 << 16),
            on_read=during,
        )
        start = time.perf_counter()
        response = http.post(
            server.url("/report"), data=body, headers={"Content-Type": body.content_type}
        )
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.status_code
        after = srv.vm_kib(worker, "VmHWM")
        tmp_seen.update(p.name for p in server.tmpdir.rglob("*"))
        print(f"upload: {size_mib} MiB in {elapsed:.1f} s = {size / elapsed / 1e6:.1f} MB/s")
        print(
            f"worker VmHWM: {before / 1024:.1f} MiB after warm-up, {after / 1024:.1f} MiB "
            f"after the upload (growth {(after - before) / 1024:.1f} MiB); VmRSS during "
            f"upload {min(rss_samples) / 1024:.1f}-{max(rss_samples) / 1024:.1f} MiB"
        )
        print(f"files in the server's TMPDIR during/after the upload: {sorted(tmp_seen) or 0}")
        print_kdf_children(worker, "Argon2id m=8 MiB here")
        return after / 1024, tmp_seen
    finally:
        server.stop()


def stalled_uploads(work: Path, senders: int, seconds: float) -> None:
    """Senders whose files begin and then go quiet, as a slowloris would: pages must still
    answer, and a report with a file gets its form back (503) instead of a hung request."""
    server = srv.start_portal(work / "instance", work / "run-stall")
    sockets: list[socket.socket] = []
    try:
        for i in range(senders):
            sockets.append(srv.stalled_upload(server, requests.Session(), f"stall {i}"))
        time.sleep(1.0)
        latencies = probe_pages(server, seconds)
        http = requests.Session()
        csrf, nonce = srv.form_tokens(http, server)
        start = time.perf_counter()
        answer = http.post(
            server.url("/report"),
            timeout=60,
            files={"files": ("e", b"e")},
            data={"csrf_token": csrf, "nonce": nonce, "facts": "real", "acknowledge": "y"},
        )
        took = time.perf_counter() - start
        first, rest = latencies[0], latencies[1:] or latencies
        print(
            f"GET / with {senders} stalled uploads (1 worker, 4 threads): first "
            f"{first * 1000:.0f} ms (while the refusals wind down), then median "
            f"{statistics.median(rest) * 1000:.1f} ms, max {max(rest) * 1000:.1f} ms over "
            f"{len(latencies)} requests; a report "
            f"with a file meanwhile: HTTP {answer.status_code} in {took:.1f} s"
            f"{', its form given back' if 'real</textarea>' in answer.text else ''}"
        )
    finally:
        for sock in sockets:
            sock.close()
        server.stop()


def flood(work: Path, seconds: float) -> None:
    init_instance(work / "instance-kdf", 3, 65536)  # production receipt-KDF parameters
    server = srv.start_portal(work / "instance-kdf", work / "run-kdf", ADAL_KDF_SLOTS="1")
    stop = threading.Event()
    outcomes: dict[int, int] = {}
    lock = threading.Lock()

    def attacker() -> None:
        http = requests.Session()
        page = http.get(server.url("/mailbox")).text
        token = srv.CSRF.search(page)
        assert token
        while not stop.is_set():
            code = receipt.format_code(receipt.generate())
            status = http.post(
                server.url("/mailbox/login"), data={"csrf_token": token.group(1), "code": code}
            ).status_code
            with lock:
                outcomes[status] = outcomes.get(status, 0) + 1

    try:
        quiet = [timed_get(server) for _ in range(20)]
        login_times(server)
        threads = [threading.Thread(target=attacker) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        latencies = probe_pages(server, seconds)
        stop.set()
        for t in threads:
            t.join()
        print(f"GET / quiet: median {statistics.median(quiet) * 1000:.1f} ms")
        print(
            f"GET / during a login flood (1 KDF slot, Argon2id t=3 m=64 MiB): median "
            f"{statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
            f" over {len(latencies)} requests; login answers: {dict(sorted(outcomes.items()))}"
        )
        print_kdf_children(server.worker_pid(), "Argon2id m=64 MiB")
    finally:
        server.stop()


def login_times(server: srv.PortalServer, rounds: int = 10) -> None:
    """A login with a receipt code that exists against one that does not, in turns, each in a
    fresh session: both derive the code's secrets before anything is looked up."""
    http = requests.Session()
    csrf, nonce = srv.form_tokens(http, server)
    sent = http.post(
        server.url("/report"),
        files={"files": ("", b"")},  # as a browser: multipart
        data={"csrf_token": csrf, "nonce": nonce, "facts": "login timing", "acknowledge": "y"},
    )
    found = srv.CODE.search(sent.text)
    assert found, sent.status_code
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    for _ in range(rounds):
        for kind, code in (
            ("known", found.group(1)),
            ("unknown", receipt.format_code(receipt.generate())),
        ):
            http = requests.Session()
            token = srv.CSRF.search(http.get(server.url("/mailbox")).text)
            assert token
            start = time.perf_counter()
            answer = http.post(
                server.url("/mailbox/login"),
                allow_redirects=False,
                data={"csrf_token": token.group(1), "code": code},
            )
            times[kind].append(time.perf_counter() - start)
            assert answer.status_code == (303 if kind == "known" else 422), answer.status_code
    known, unknown = (statistics.median(times[k]) * 1000 for k in ("known", "unknown"))
    print(
        f"mailbox login, Argon2id t=3 m=64 MiB, median of {rounds}: known code {known:.0f} ms,"
        f" unknown well-formed code {unknown:.0f} ms (unknown/known {unknown / known:.2f})"
    )


def print_kdf_children(worker: int, what: str) -> None:
    """The receipt KDF runs in child processes of the worker (crypto/kdf_process.py): their
    memory is the KDF's, not the upload's, and is shown apart."""
    children = [
        pid
        for task in Path(f"/proc/{worker}/task").iterdir()
        for pid in (task / "children").read_text().split()
    ]
    peaks = [srv.vm_kib(int(pid), "VmHWM") / 1024 for pid in children]
    shown = ", ".join(f"{p:.1f}" for p in peaks) or "none running"
    print(f"KDF child processes of the worker ({what}): VmHWM {shown} MiB")


def probe_pages(server: srv.PortalServer, seconds: float) -> list[float]:
    """GET / every 50 ms for `seconds`: each answer's latency."""
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        latencies.append(timed_get(server))
        time.sleep(0.05)
    return latencies


def timed_get(server: srv.PortalServer) -> float:
    start = time.perf_counter()
    assert requests.get(server.url("/"), timeout=30).status_code == 200
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--flood-seconds", type=float, default=5.0)
    parser.add_argument("--stalled", type=int, default=8, help="stalled uploads at once")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="adal-bench-"))
    try:
        peak_mib, tmp_seen = upload(work, args.size_mib)
        stalled_uploads(work, args.stalled, args.flood_seconds)
        flood(work, args.flood_seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    met = peak_mib < PEAK_TARGET_MIB and not tmp_seen
    print(
        f"targets: worker peak {peak_mib:.1f} MiB < {PEAK_TARGET_MIB} MiB and no temporary "
        f"file: {'met' if met else 'NOT MET'}"
    )
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
