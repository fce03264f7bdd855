"""Load benchmark of the portal on loopback: prints figures, checks nothing. Not a test.

    .venv/bin/python bench/load.py                 default run (about two minutes)
    .venv/bin/python bench/load.py --quick         small smoke run
    .venv/bin/python bench/load.py --fast-kdf      receipt KDF at test strength (t=1, 8 MiB)

Everything runs on 127.0.0.1 against a fresh instance (`adal init --demo`, production KDF
unless --fast-kdf) served by `adal portal` under gunicorn, and stops by itself: each phase is
bounded by a request count and a time limit.

  1. GET / of the portal next to GET / of a bare Flask "hello" app served by gunicorn with
     exactly the same command line (adal_cli.serve.gunicorn_argv), same clients, same run:
     p50/p95/p99 of each and their ratio, i.e. what the portal's own work costs.
  2. N simulated reporters, each in rounds: landing page, rights, form, submission with a
     small file, mailbox login with the receipt, mailbox, follow-up, logout. p50/p95/p99 per
     page and submissions per second. A login refused with 503 is tried again after its
     Retry-After, as the page asks a person to: how many tries the logins took, and the whole
     wait until the mailbox opened.
  3. Receipt-login flood: F clients post well-formed wrong receipt codes as fast as they can,
     so every KDF slot is busy, while one prober reads GET /: its p50/p95/p99 under the flood,
     and how the logins were answered (422 wrong code, 503 busy).
  4. What one flooding client costs honest people (issue 12, item 3), at 16, 64 and 256
     concurrent requests (--flood-levels): (a) while the flood posts wrong receipt codes, how
     long an honest reporter waits until the mailbox opens, retrying after each 503's
     Retry-After as the page asks; (b) while the flood opens report uploads and trickles their
     bodies (a few bytes a second, each connection held as long as the portal lets it), how
     long an honest report with a 256 KiB file takes until its receipt, retrying after a 503
     likewise. Each level lasts --level-seconds; an honest attempt gives up after
     --honest-limit seconds ("gave up" counts those).

    .venv/bin/python bench/load.py --fast-kdf --only-floods      phase 4 alone
    ADAL_MIN_UPLOAD_RATE=0 .venv/bin/python bench/load.py ...   the same without the minimum
                                                                upload rate ("before")

The load generator shares the machine's cores with the server; both sides of each ratio pay
that the same way.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: imports bench.loopback
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from flask import Flask  # noqa: E402

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_NONCE = re.compile(r'name="nonce"[^>]*value="([^"]+)"')
_RECEIPT = re.compile(r'class="code"[^>]*><strong>([0-9 ]+)</strong>')


def hello_app() -> Flask:
    """The baseline: a Flask app that does nothing but answer."""
    app = Flask("hello")

    @app.get("/")
    def index() -> str:
        return "hello"

    return app


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Timings:
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    errors: int = 0
    tries: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(
        self, label: str, http: requests.Session, method: str, url: str, **kwargs: object
    ) -> requests.Response | None:
        """One request, its latency kept under `label`; None when the connection failed."""
        kwargs.setdefault("timeout", 120)
        start = time.perf_counter()
        try:
            response = http.request(method, url, **kwargs)  # type: ignore[arg-type]
        except requests.RequestException:
            with self.lock:
                self.errors += 1
            return None
        elapsed = (time.perf_counter() - start) * 1000
        with self.lock:
            self.samples[label].append(elapsed)
            self.statuses[label][response.status_code] += 1
        return response


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def row(label: str, values: list[float]) -> str:
    if not values:
        return f"  {label:<28} {'-':>6}"
    return (
        f"  {label:<28} {len(values):>6} {percentile(values, 50):>9.1f} "
        f"{percentile(values, 95):>9.1f} {percentile(values, 99):>9.1f}"
    )


HEADER = f"  {'':<28} {'n':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}"


def run_threads(count: int, target: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# --- phases --------------------------------------------------------------------------------


def phase_baseline(portal: str, hello: str, clients: int, each: int, limit: float) -> None:
    timings = Timings()
    deadline = time.monotonic() + limit

    def client(_i: int) -> None:
        http = requests.Session()
        for n in range(each):
            if time.monotonic() > deadline:
                return
            # Interleaved, so both see the same moment's load.
            target, label = (portal, "portal GET /") if n % 2 == 0 else (hello, "hello GET /")
            timings.timed(label, http, "GET", target + "/")

    run_threads(clients, client)
    p, h = timings.samples["portal GET /"], timings.samples["hello GET /"]
    print(
        f"\n1. GET / of the portal and of a bare Flask app, same gunicorn command line "
        f"({clients} clients)"
    )
    print(HEADER)
    print(row("portal GET /", p))
    print(row("hello GET /", h))
    if p and h:
        ratios = "  ".join(f"p{q} {percentile(p, q) / percentile(h, q):.1f}x" for q in (50, 95, 99))
        print(f"  portal / hello: {ratios}")


def _token(page: str) -> str:
    found = _CSRF.search(page)
    return found.group(1) if found else ""


LOGIN_TRIES = 4


def login_as_a_person(
    timings: Timings, http: requests.Session, portal: str, code: str
) -> requests.Response | None:
    """Open the mailbox the way the 503 page tells a person to: wait Retry-After, try again.

    Each try's latency is kept; "mailbox opened" keeps the whole wait, from the first login
    page to the mailbox, and "login tries" how many tries it took (LOGIN_TRIES + 1: gave up).
    """
    started = time.perf_counter()
    for attempt in range(1, LOGIN_TRIES + 1):
        page = timings.timed("GET /mailbox (login)", http, "GET", portal + "/mailbox")
        if page is None:
            return None
        opened = timings.timed(
            "POST /mailbox/login",
            http,
            "POST",
            portal + "/mailbox/login",
            allow_redirects=False,
            data={"csrf_token": _token(page.text), "code": code},
        )
        if opened is None:
            return None
        if opened.status_code == 303:
            with timings.lock:
                timings.samples["mailbox opened (all tries)"].append(
                    (time.perf_counter() - started) * 1000
                )
                timings.tries[attempt] += 1
            return opened
        if opened.status_code != 503 or attempt == LOGIN_TRIES:
            break
        time.sleep(float(opened.headers.get("Retry-After", "10")))
    with timings.lock:
        timings.tries[LOGIN_TRIES + 1] += 1
    return None


def phase_reporters(portal: str, reporters: int, rounds: int, limit: float) -> None:
    timings = Timings()
    submitted = [0]
    deadline = time.monotonic() + limit
    started = time.monotonic()

    def reporter(i: int) -> None:
        for r in range(rounds):
            if time.monotonic() > deadline:
                return
            http = requests.Session()
            timings.timed("GET /", http, "GET", portal + "/")
            timings.timed("GET /rights", http, "GET", portal + "/rights")
            form = timings.timed("GET /report", http, "GET", portal + "/report")
            if form is None:
                continue
            nonce = _NONCE.search(form.text)
            fields = [
                ("csrf_token", (None, _token(form.text))),
                ("nonce", (None, nonce.group(1) if nonce else "")),
                ("facts", (None, f"Load test report {i}/{r}: " + "ақша " * 100)),
                ("acknowledge", (None, "y")),
                (
                    "files",
                    ("evidence.bin", secrets.token_bytes(32 * 1024), "application/octet-stream"),
                ),
            ]
            sent = timings.timed("POST /report", http, "POST", portal + "/report", files=fields)
            found = _RECEIPT.search(sent.text) if sent is not None else None
            if not found:
                continue
            with timings.lock:
                submitted[0] += 1
            opened = login_as_a_person(timings, http, portal, found.group(1))
            if opened is None:
                continue
            box = timings.timed("GET /mailbox", http, "GET", portal + "/mailbox")
            if box is None:
                continue
            timings.timed(
                "POST /mailbox/reply",
                http,
                "POST",
                portal + "/mailbox/reply",
                allow_redirects=False,
                files=[
                    ("csrf_token", (None, _token(box.text))),
                    ("text", (None, "Толығырақ: ақша 12 наурызда берілді.")),
                ],
            )
            timings.timed(
                "POST /mailbox/logout",
                http,
                "POST",
                portal + "/mailbox/logout",
                data={"csrf_token": _token(box.text)},
            )

    run_threads(reporters, reporter)
    elapsed = time.monotonic() - started
    print(f"\n2. {reporters} reporters × up to {rounds} rounds ({elapsed:.1f} s)")
    print(HEADER)
    for label, values in timings.samples.items():
        print(row(label, values))
    print(
        f"  submissions: {submitted[0]} in {elapsed:.1f} s = "
        f"{submitted[0] / elapsed:.2f} per second; connection errors: {timings.errors}"
    )
    tries = ", ".join(
        f"{'gave up' if n > LOGIN_TRIES else f'{n}. try'}: {count}"
        for n, count in sorted(timings.tries.items())
    )
    print(f"  mailbox logins, each try after the 503's Retry-After: {tries}")
    odd = {
        label: dict(codes) for label, codes in timings.statuses.items() if set(codes) - {200, 303}
    }
    if odd:
        print(f"  statuses other than 200/303: {odd}")


def phase_flood(portal: str, flooders: int, seconds: float) -> None:
    from crypto import receipt

    timings = Timings()
    stop = time.monotonic() + seconds
    idle: list[float] = []
    probe = requests.Session()
    for _ in range(50):  # GET / with nothing else going on, for comparison
        start = time.perf_counter()
        probe.get(portal + "/", timeout=30)
        idle.append((time.perf_counter() - start) * 1000)

    def flooder(_i: int) -> None:
        http = requests.Session()
        token = _token(http.get(portal + "/mailbox", timeout=60).text)
        while time.monotonic() < stop:
            timings.timed(
                "POST /mailbox/login",
                http,
                "POST",
                portal + "/mailbox/login",
                data={"csrf_token": token, "code": receipt.generate()},
                allow_redirects=False,
            )

    def prober() -> None:
        time.sleep(min(2.0, seconds / 5))  # let the flood fill the queue first
        while time.monotonic() < stop:
            timings.timed("GET / under flood", probe, "GET", portal + "/")
            time.sleep(0.02)

    probe_thread = threading.Thread(target=prober, daemon=True)
    probe_thread.start()
    run_threads(flooders, flooder)
    probe_thread.join()
    logins = timings.samples["POST /mailbox/login"]
    codes = dict(timings.statuses["POST /mailbox/login"])
    print(f"\n3. receipt-login flood: {flooders} clients for {seconds:.0f} s")
    print(HEADER)
    print(row("GET / idle", idle))
    print(row("GET / under flood", timings.samples["GET / under flood"]))
    print(row("POST /mailbox/login", logins))
    print(
        f"  logins answered: {codes} (422 = wrong code after the KDF, 503 = KDF queue "
        f"full); {len(logins) / seconds:.1f} per second; connection errors: "
        f"{timings.errors}"
    )


def _honest_report(portal: str, size: int, limit: float) -> tuple[float | None, int]:
    """Seconds from the first try to the receipt of a report with a `size`-byte file, retrying
    after a 503's Retry-After; None when it did not arrive within `limit`. Also the tries."""
    started = time.monotonic()
    tries = 0
    while time.monotonic() - started < limit:
        tries += 1
        http = requests.Session()
        try:
            form = http.get(portal + "/report", timeout=limit)
            nonce = _NONCE.search(form.text)
            sent = http.post(
                portal + "/report",
                timeout=limit,
                files=[
                    ("csrf_token", (None, _token(form.text))),
                    ("nonce", (None, nonce.group(1) if nonce else "")),
                    ("facts", (None, "Honest report under a flood: " + "ақша " * 50)),
                    ("acknowledge", (None, "y")),
                    (
                        "files",
                        ("evidence.bin", secrets.token_bytes(size), "application/octet-stream"),
                    ),
                ],
            )
        except requests.RequestException:
            continue
        if _RECEIPT.search(sent.text):
            return time.monotonic() - started, tries
        if sent.status_code == 503:
            time.sleep(float(sent.headers.get("Retry-After", "10")))
    return None, tries


def _honest_login(portal: str, code: str, limit: float) -> tuple[float | None, int]:
    """Seconds until the mailbox opens for a person who retries after each Retry-After."""
    started = time.monotonic()
    tries = 0
    while time.monotonic() - started < limit:
        tries += 1
        http = requests.Session()
        try:
            page = http.get(portal + "/mailbox", timeout=limit)
            opened = http.post(
                portal + "/mailbox/login",
                timeout=limit,
                allow_redirects=False,
                data={"csrf_token": _token(page.text), "code": code},
            )
        except requests.RequestException:
            continue
        if opened.status_code == 303:
            return time.monotonic() - started, tries
        if opened.status_code != 503:
            return None, tries
        time.sleep(float(opened.headers.get("Retry-After", "10")))
    return None, tries


def _trickler(portal: str, stop: float, counts: dict[str, int], lock: threading.Lock) -> None:
    """One flooding connection: a report whose file part arrives a few bytes a second."""
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(portal)
    while time.monotonic() < stop:
        http = requests.Session()
        try:
            form = http.get(portal + "/report", timeout=30)
        except requests.RequestException:
            time.sleep(0.5)
            continue
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        boundary = secrets.token_hex(8)
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{_token(form.text)}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f'name="files"; filename="slow.bin"\r\nContent-Type: '
            "application/octet-stream\r\n\r\n"
        ).encode()
        declared = len(head) + 100 * 1024 * 1024
        outcome = "held until the end"
        try:
            with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
                sock.sendall(
                    (
                        f"POST /report HTTP/1.1\r\nHost: {address.netloc}\r\n"
                        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                        f"Content-Length: {declared}\r\nCookie: {cookie}\r\n\r\n"
                    ).encode()
                    + head
                )
                sock.settimeout(1.0)
                while time.monotonic() < stop:
                    try:
                        answer = sock.recv(64)
                    except TimeoutError:
                        sock.sendall(b"x" * 64)  # 64 bytes a second
                        continue
                    outcome = answer.split(b" ", 2)[1].decode() if answer else "closed"
                    break
        except OSError:
            outcome = "connection error"
        with lock:
            counts[outcome] = counts.get(outcome, 0) + 1


def phase_floods(portal: str, levels: list[int], seconds: float, honest_limit: float) -> None:
    from crypto import receipt

    # A real mailbox for the honest login.
    http = requests.Session()
    form = http.get(portal + "/report", timeout=30)
    nonce = _NONCE.search(form.text)
    sent = http.post(
        portal + "/report",
        timeout=60,
        files=[
            ("csrf_token", (None, _token(form.text))),
            ("nonce", (None, nonce.group(1) if nonce else "")),
            ("facts", (None, "The honest reporter's report.")),
            ("acknowledge", (None, "y")),
        ],
    )
    found = _RECEIPT.search(sent.text)
    if not found:
        print("\n4. could not make the honest reporter's report; skipped")
        return
    code = found.group(1)
    rate = os.environ.get("ADAL_MIN_UPLOAD_RATE", "the default")
    print(f"\n4. one client flooding with N concurrent requests; minimum upload rate: {rate}")
    print(f"  {'flood':<34} {'N':>4} {'honest wait s':>14} {'tries':>6}  flood answered")
    for level in levels:
        for kind in ("logins", "uploads"):
            stop = time.monotonic() + seconds
            counts: dict[str, int] = {}
            lock = threading.Lock()

            def login_flooder(
                _i: int,
                stop: float = stop,
                counts: dict[str, int] = counts,
                lock: threading.Lock = lock,
            ) -> None:
                session = requests.Session()
                try:
                    token = _token(session.get(portal + "/mailbox", timeout=30).text)
                except requests.RequestException:
                    return
                while time.monotonic() < stop:
                    try:
                        answer = session.post(
                            portal + "/mailbox/login",
                            timeout=30,
                            allow_redirects=False,
                            data={"csrf_token": token, "code": receipt.generate()},
                        )
                        outcome = str(answer.status_code)
                    except requests.RequestException:
                        outcome = "connection error"
                    with lock:
                        counts[outcome] = counts.get(outcome, 0) + 1

            def upload_flooder(
                _i: int,
                stop: float = stop,
                counts: dict[str, int] = counts,
                lock: threading.Lock = lock,
            ) -> None:
                _trickler(portal, stop, counts, lock)

            flood = threading.Thread(
                target=run_threads,
                daemon=True,
                args=(level, login_flooder if kind == "logins" else upload_flooder),
            )
            flood.start()
            time.sleep(min(3.0, seconds / 4))  # let the flood take its places first
            if kind == "logins":
                waited, tries = _honest_login(portal, code, honest_limit)
            else:
                waited, tries = _honest_report(portal, 256 * 1024, honest_limit)
            flood.join(timeout=seconds + 60)
            shown = "gave up" if waited is None else f"{waited:.1f}"
            label = "wrong receipt codes" if kind == "logins" else "trickled uploads (64 B/s each)"
            answered = dict(sorted(counts.items()))
            print(f"  {label:<34} {level:>4} {shown:>14} {tries:>6}  {answered}")
            time.sleep(2.0)  # let the server settle between levels


# --- set-up ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reporters", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-clients", type=int, default=8)
    parser.add_argument("--baseline-requests", type=int, default=200, help="per client")
    parser.add_argument("--flooders", type=int, default=16)
    parser.add_argument("--flood-seconds", type=float, default=20.0)
    parser.add_argument(
        "--phase-limit",
        type=float,
        default=120.0,
        help="seconds after which a phase stops starting new requests",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--fast-kdf", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--flood-levels",
        default="16,64,256",
        help="concurrent flooding requests of phase 4, comma-separated",
    )
    parser.add_argument("--level-seconds", type=float, default=40.0)
    parser.add_argument("--honest-limit", type=float, default=30.0)
    parser.add_argument("--only-floods", action="store_true", help="phase 4 alone")
    args = parser.parse_args()
    if args.quick:
        args.reporters, args.rounds, args.baseline_requests = 4, 1, 30
        args.flooders, args.flood_seconds = 4, 5.0

    from adal_cli.serve import gunicorn_argv
    from bench import loopback as servers
    from crypto.kdf import KdfParams

    kdf = (
        servers.FAST_KDF
        if args.fast_kdf
        else (
            "--kdf-time-cost",
            str(KdfParams().time_cost),
            "--kdf-memory-kib",
            str(KdfParams().memory_kib),
        )
    )
    servers.compile_translations()
    with tempfile.TemporaryDirectory(prefix="adal-load-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'instance' / 'adal.db'}"
        servers.init_demo(folder / "instance", url, tuple(kdf))
        hello_port = servers.free_port()
        argv = gunicorn_argv("portal", "127.0.0.1", hello_port, args.workers, args.threads)
        argv[-1:] = ["--chdir", str(Path(__file__).parent), "load:hello_app()"]
        with servers.serving(
            servers.launch(
                "portal",
                folder / "instance",
                url,
                folder / "logs",
                workers=args.workers,
                threads=args.threads,
            ),
            servers.spawn("hello", argv, hello_port, os.environ, folder / "logs"),
        ) as (portal, hello):
            print(
                f"Adal portal load benchmark: {os.cpu_count()} cores; gunicorn "
                f"{args.workers} workers × {args.threads} threads (gthread); receipt KDF "
                f"t={kdf[1]} m={kdf[3]} KiB; SQLite; client and server on one machine"
            )
            if not args.only_floods:
                phase_baseline(
                    portal.url,
                    hello.url,
                    args.baseline_clients,
                    args.baseline_requests,
                    args.phase_limit,
                )
                phase_reporters(portal.url, args.reporters, args.rounds, args.phase_limit)
                phase_flood(portal.url, args.flooders, min(args.flood_seconds, args.phase_limit))
            phase_floods(
                portal.url,
                [int(n) for n in args.flood_levels.split(",") if n],
                min(args.level_seconds, args.phase_limit),
                min(args.honest_limit, args.level_seconds),
            )
            problems = portal.problems()
        if problems:
            print("\nthe portal logged failures:\n" + "\n".join(problems[:20]))
            return 1
    print("\n(percentiles by nearest rank over every request of the phase)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
