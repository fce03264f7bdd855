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
        default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    errors: int = 0
    tries: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, label: str, http: requests.Session, method: str, url: str,
              **kwargs: object) -> requests.Response | None:
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
    return (f"  {label:<28} {len(values):>6} {percentile(values, 50):>9.1f} "
            f"{percentile(values, 95):>9.1f} {percentile(values, 99):>9.1f}")


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
    print(f"\n1. GET / of the portal and of a bare Flask app, same gunicorn command line "
          f"({clients} clients)")
    print(HEADER)
    print(row("portal GET /", p))
    print(row("hello GET /", h))
    if p and h:
        ratios = "  ".join(f"p{q} {percentile(p, q) / percentile(h, q):.1f}x"
                           for q in (50, 95, 99))
        print(f"  portal / hello: {ratios}")


def _token(page: str) -> str:
    found = _CSRF.search(page)
    return found.group(1) if found else ""


LOGIN_TRIES = 4


def login_as_a_person(timings: Timings, http: requests.Session, portal: str,
                      code: str) -> requests.Response | None:
    """Open the mailbox the way the 503 page tells a person to: wait Retry-After, try again.

    Each try's latency is kept; "mailbox opened" keeps the whole wait, from the first login
    page to the mailbox, and "login tries" how many tries it took (LOGIN_TRIES + 1: gave up).
    """
    started = time.perf_counter()
    for attempt in range(1, LOGIN_TRIES + 1):
        page = timings.timed("GET /mailbox (login)", http, "GET", portal + "/mailbox")
        if page is None:
            return None
        opened = timings.timed("POST /mailbox/login", http, "POST", portal + "/mailbox/login",
                               allow_redirects=False,
                               data={"csrf_token": _token(page.text), "code": code})
        if opened is None:
            return None
        if opened.status_code == 303:
            with timings.lock:
                timings.samples["mailbox opened (all tries)"].append(
                    (time.perf_counter() - started) * 1000)
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
            fields = [("csrf_token", (None, _token(form.text))),
                      ("nonce", (None, nonce.group(1) if nonce else "")),
                      ("facts", (None, f"Load test report {i}/{r}: " + "ақша " * 100)),
                      ("acknowledge", (None, "y")),
                      ("files", ("evidence.bin", secrets.token_bytes(32 * 1024),
                                 "application/octet-stream"))]
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
            timings.timed("POST /mailbox/reply", http, "POST", portal + "/mailbox/reply",
                          allow_redirects=False, files=[
                              ("csrf_token", (None, _token(box.text))),
                              ("text", (None, "Толығырақ: ақша 12 наурызда берілді."))])
            timings.timed("POST /mailbox/logout", http, "POST", portal + "/mailbox/logout",
                          data={"csrf_token": _token(box.text)})

    run_threads(reporters, reporter)
    elapsed = time.monotonic() - started
    print(f"\n2. {reporters} reporters × up to {rounds} rounds ({elapsed:.1f} s)")
    print(HEADER)
    for label, values in timings.samples.items():
        print(row(label, values))
    print(f"  submissions: {submitted[0]} in {elapsed:.1f} s = "
          f"{submitted[0] / elapsed:.2f} per second; connection errors: {timings.errors}")
    tries = ", ".join(f"{'gave up' if n > LOGIN_TRIES else f'{n}. try'}: {count}"
                      for n, count in sorted(timings.tries.items()))
    print(f"  mailbox logins, each try after the 503's Retry-After: {tries}")
    odd = {label: dict(codes) for label, codes in timings.statuses.items()
           if set(codes) - {200, 303}}
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
            timings.timed("POST /mailbox/login", http, "POST", portal + "/mailbox/login",
                          data={"csrf_token": token, "code": receipt.generate()},
                          allow_redirects=False)

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
    print(f"  logins answered: {codes} (422 = wrong code after the KDF, 503 = KDF queue "
          f"full); {len(logins) / seconds:.1f} per second; connection errors: "
          f"{timings.errors}")


# --- set-up ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reporters", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-clients", type=int, default=8)
    parser.add_argument("--baseline-requests", type=int, default=200, help="per client")
    parser.add_argument("--flooders", type=int, default=16)
    parser.add_argument("--flood-seconds", type=float, default=20.0)
    parser.add_argument("--phase-limit", type=float, default=120.0,
                        help="seconds after which a phase stops starting new requests")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--fast-kdf", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.reporters, args.rounds, args.baseline_requests = 4, 1, 30
        args.flooders, args.flood_seconds = 4, 5.0

    from adal_cli.serve import gunicorn_argv
    from bench import loopback as servers
    from crypto.kdf import KdfParams

    kdf = servers.FAST_KDF if args.fast_kdf else (
        "--kdf-time-cost", str(KdfParams().time_cost),
        "--kdf-memory-kib", str(KdfParams().memory_kib))
    servers.compile_translations()
    with tempfile.TemporaryDirectory(prefix="adal-load-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'instance' / 'adal.db'}"
        servers.init_demo(folder / "instance", url, tuple(kdf))
        hello_port = servers.free_port()
        argv = gunicorn_argv("portal", "127.0.0.1", hello_port, args.workers, args.threads)
        argv[-1:] = ["--chdir", str(Path(__file__).parent), "load:hello_app()"]
        with servers.serving(
                servers.launch("portal", folder / "instance", url, folder / "logs",
                               workers=args.workers, threads=args.threads),
                servers.spawn("hello", argv, hello_port, os.environ, folder / "logs"),
        ) as (portal, hello):
            print(f"Adal portal load benchmark: {os.cpu_count()} cores; gunicorn "
                  f"{args.workers} workers × {args.threads} threads (gthread); receipt KDF "
                  f"t={kdf[1]} m={kdf[3]} KiB; SQLite; client and server on one machine")
            phase_baseline(portal.url, hello.url, args.baseline_clients,
                           args.baseline_requests, args.phase_limit)
            phase_reporters(portal.url, args.reporters, args.rounds, args.phase_limit)
            phase_flood(portal.url, args.flooders, min(args.flood_seconds, args.phase_limit))
            problems = portal.problems()
        if problems:
            print("\nthe portal logged failures:\n" + "\n".join(problems[:20]))
            return 1
    print("\n(percentiles by nearest rank over every request of the phase)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
