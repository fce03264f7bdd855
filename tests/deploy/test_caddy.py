"""The Caddyfile in front of the real apps: two portal processes and the back office.

One stack per module: `adal init --demo` (fast KDF), two `adal portal` processes sharing the
database (SQLite, or PostgreSQL in the PostgreSQL pass), `adal handler`, and real Caddy on
loopback ports with the repository's Caddyfile. Taps between Caddy and each app record what the
apps received.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from installation import instance as inst
from store.db import make_engine, session_factory
from tests.support import deploy as harness
from tests.support.instance import TEST_KDF, DemoInstance
from tests.support.needs import POSTGRES_URL, require
from web.headers import CSP, PERMISSIONS_POLICY

ONION = "http://" + "a" * 56 + ".onion"
HSTS = "max-age=63072000; includeSubDomains"
# Restated here as an independent oracle, not imported from web.headers (pairs, alphabetical).
APP_HEADERS = dict(
    [
        ("Cache-Control", "no-store, max-age=0"),
        ("Content-Security-Policy", CSP),
        ("Cross-Origin-Embedder-Policy", "require-corp"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Permissions-Policy", PERMISSIONS_POLICY),
        ("Referrer-Policy", "no-referrer"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
    ]
)
# Nothing may name the software or its version, or advertise another protocol.
NEVER = ("Server", "Via", "X-Powered-By", "Alt-Svc", "X-Runtime", "X-Version")
SOFTWARE = re.compile(r"caddy|gunicorn|werkzeug|python|flask|go-http", re.IGNORECASE)
FACTS = "Начальник отдела закупок требует 500 000 тенге за подпись акта."
EVIDENCE = secrets.token_bytes(300_000)
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_NONCE = re.compile(r'name="nonce" type="hidden" value="([^"]+)"')
_CODE = re.compile(r'<p class="code"[^>]*><strong>([0-9 ]{24})</strong>')


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADAL_")}
    # The checkout's own packages first, whatever state the venv's editable install is in.
    env["PYTHONPATH"] = str(harness.ROOT)
    env.update(extra)
    return env


@dataclass
class Stack:
    caddy: harness.Caddy
    portals: list[harness.Process]
    handler: harness.Process
    portal_taps: list[harness.Tap]
    handler_tap: harness.Tap
    demo: DemoInstance
    portal_role: str | None  # PostgreSQL pass: the role the portal processes connect as

    def processes(self) -> list[harness.Process]:
        return [*self.portals, self.handler, self.caddy.process]


@dataclass(frozen=True)
class Database:
    owner_url: str
    portal_role: str


@pytest.fixture(scope="module")
def database() -> Iterator[Database | None]:
    """In the PostgreSQL pass: a database, and a login role for the portal processes (the
    production layout: portals connect with `adal db grant-portal` privileges only)."""
    if not POSTGRES_URL:
        yield None
        return
    admin = create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    name = f"adal_deploy_{secrets.token_hex(6)}"
    role = f"adal_portal_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        yield Database(url, role)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    database: Database | None,
) -> Iterator[Stack]:
    require("caddy")
    base = tmp_path_factory.mktemp("stack")
    path = base / "instance"
    app_env = _env(
        ADAL_INSTANCE=str(path),
        ADAL_ONION_LOCATION=ONION,
        **({"ADAL_DATABASE_URL": database.owner_url} if database else {}),
    )
    init = subprocess.run(
        [str(harness.ADAL), "init", "--demo", *TEST_KDF],
        env=app_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    instance = inst.load(path)
    engine = make_engine(database.owner_url if database else instance.default_database_url)
    demo = DemoInstance(path, instance, engine, session_factory(engine), init.stdout)
    portal_env = app_env
    if database:
        grant = subprocess.run(
            [str(harness.ADAL), "db", "grant-portal", database.portal_role],
            env=app_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert grant.returncode == 0, grant.stdout + grant.stderr
        role_url = make_url(database.owner_url).set(username=database.portal_role)
        portal_env = {
            **app_env,
            "ADAL_DATABASE_URL": role_url.render_as_string(hide_password=False),
        }

    ports = [harness.free_port() for _ in range(3)]
    apps = [
        harness.launch_app("portal", ports[0], portal_env, base),
        harness.launch_app("portal", ports[1], portal_env, base),
        harness.launch_app("handler", ports[2], app_env, base),
    ]
    taps: list[harness.Tap] = []
    caddy: harness.Caddy | None = None
    try:
        for app, port in zip(apps, ports, strict=True):
            harness.ready(app, port)
        taps = [harness.Tap(port) for port in ports]
        caddy = harness.start_caddy(base, [taps[0].port, taps[1].port], taps[2].port)
        yield Stack(
            caddy,
            apps[:2],
            apps[2],
            taps[:2],
            taps[2],
            demo,
            database.portal_role if database else None,
        )
    finally:
        if caddy is not None:
            caddy.process.stop()
        for app in apps:
            app.stop()
        for tap in taps:
            tap.close()
        engine.dispose()


def _caddy_env(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "ADAL_CADDY_ADMIN": "off",
        "ADAL_PORTAL_DOMAIN": "report.example.kz",
        "ADAL_PORTAL_UPSTREAMS": "127.0.0.1:18080 127.0.0.1:18082",
        "ADAL_HTTPS_PORT": "18443",
        "ADAL_HTTP_PORT": "18000",
        "ADAL_ONION_PORT": "18090",
    }


def test_caddyfile_validates(tmp_path: Path) -> None:
    caddy = require("caddy")
    argv = [caddy, "validate", "--config", str(harness.CADDYFILE), "--adapter", "caddyfile"]
    env = _caddy_env(tmp_path)
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid configuration" in result.stdout + result.stderr
    # Without the domain the file must not turn into a catch-all site: Caddy refuses it.
    del env["ADAL_PORTAL_DOMAIN"]
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    # The documented production environment (deploy/env/caddy.env.example) is valid too.
    example = harness.ROOT / "deploy" / "env" / "caddy.env.example"
    for line in example.read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def _check_headers(
    response: requests.Response, extra: dict[str, str], absent: tuple[str, ...] = ()
) -> None:
    assert response.status_code == 200, response.text[:500]
    expected = {**APP_HEADERS, **extra}
    for name, value in expected.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name))
    for name in (*NEVER, *absent):
        assert name not in response.headers, (name, response.headers[name])
    for name, value in response.headers.items():
        assert not SOFTWARE.search(value), (name, value)


def test_security_headers_through_caddy(stack: Stack) -> None:
    browser = harness.client(str(stack.caddy.root_ca))
    portal = harness.get_until_ready(browser, stack.caddy.portal("/"))
    _check_headers(portal, {"Strict-Transport-Security": HSTS, "Onion-Location": ONION + "/"})
    report = browser.get(stack.caddy.portal("/report?lang=ru"), timeout=30)
    _check_headers(
        report, {"Strict-Transport-Security": HSTS, "Onion-Location": ONION + "/report?lang=ru"}
    )

    # What tor reaches: the same pages, no HSTS (plain HTTP), no Onion-Location (already there).
    onion = browser.get(
        stack.caddy.onion("/"), timeout=30, headers={"Host": ONION.removeprefix("http://")}
    )
    _check_headers(onion, {}, absent=("Strict-Transport-Security", "Onion-Location"))
    assert onion.text == portal.text

    office = harness.get_until_ready(browser, stack.caddy.backoffice("/login"))
    _check_headers(office, {"Strict-Transport-Security": HSTS}, absent=("Onion-Location",))

    # Plain HTTP on the public name only redirects, and says nothing about the software.
    redirect = browser.get(
        f"http://localhost:{stack.caddy.http_port}/report", allow_redirects=False, timeout=30
    )
    assert redirect.status_code in (301, 308)
    assert redirect.headers["Location"].startswith("https://localhost")
    assert "Server" not in redirect.headers


def _token(pattern: re.Pattern[str], page: str) -> str:
    match = pattern.search(page)
    assert match, page[:2000]
    return match.group(1)


def _served_by(stack: Stack, before: list[int]) -> int:
    """Which portal process handled the request made since `before` was taken."""
    after = [len(tap.requests()) for tap in stack.portal_taps]
    grew = [i for i, (a, b) in enumerate(zip(after, before, strict=True)) if a > b]
    assert len(grew) == 1, (before, after, [t.requests() for t in stack.portal_taps])
    return grew[0]


def _counts(stack: Stack) -> list[int]:
    return [len(tap.requests()) for tap in stack.portal_taps]


def test_report_through_caddy_is_read_in_the_back_office(stack: Stack) -> None:
    caddy = stack.caddy
    reporter = harness.client(str(caddy.root_ca))
    form = harness.get_until_ready(reporter, caddy.portal("/report")).text
    before = _counts(stack)
    sent = reporter.post(
        caddy.portal("/report"),
        timeout=60,
        data={
            "csrf_token": _token(_CSRF, form),
            "nonce": _token(_NONCE, form),
            "facts": FACTS,
            "acknowledge": "y",
        },
        files=[("files", ("акт.pdf", EVIDENCE, "application/pdf"))],
    )
    assert sent.status_code == 200, sent.text[:2000]
    submitted_on = _served_by(stack, before)
    code = _token(_CODE, sent.text)

    # The mailbox, through Caddy: logging in and reading work on either process, because the
    # session lives (encrypted) in the shared database, not in a process.
    page = reporter.get(caddy.portal("/mailbox"), timeout=30).text
    login = reporter.post(
        caddy.portal("/mailbox/login"),
        timeout=60,
        allow_redirects=False,
        data={"csrf_token": _token(_CSRF, page), "code": code},
    )
    assert login.status_code == 303, login.text[:2000]
    readers = set()
    for _ in range(4):
        before = _counts(stack)
        mailbox = reporter.get(caddy.portal("/mailbox"), timeout=30)
        readers.add(_served_by(stack, before))
        assert 'class="status"' in mailbox.text, mailbox.text[:2000]
    assert readers == {0, 1}
    assert 1 - submitted_on in readers

    # The back office, through its own Caddy site: password + TOTP, then the case.
    creds = stack.demo.credentials()["handler"]
    office = harness.client(str(caddy.root_ca))
    page = harness.get_until_ready(office, caddy.backoffice("/login")).text
    signed = office.post(
        caddy.backoffice("/login"),
        timeout=60,
        data={
            "csrf_token": _token(_CSRF, page),
            "username": creds["username"],
            "password": creds["password"],
            "code": pyotp.TOTP(creds["totp secret"]).now(),
        },
    )
    assert signed.status_code == 200 and "/login" not in signed.url, signed.text[:2000]
    inbox = office.get(caddy.backoffice("/inbox"), timeout=30).text
    links = re.findall(r'href="(/cases/[0-9a-f]{32})"', inbox)
    assert len(links) == 1, inbox[:3000]
    case = office.get(caddy.backoffice(links[0]), timeout=30)
    assert FACTS in case.text
    downloads = re.findall(r'href="(/cases/[0-9a-f]{32}/files/[0-9a-f]{32})"', case.text)
    assert len(downloads) == 1
    file = office.get(caddy.backoffice(downloads[0]), timeout=60)
    assert hashlib.sha256(file.content).digest() == hashlib.sha256(EVIDENCE).digest()

    # A reply from the back office reaches the reporter's mailbox, on whichever process.
    reply = office.post(
        caddy.backoffice(links[0] + "/reply"),
        timeout=30,
        allow_redirects=False,
        data={"csrf_token": _token(_CSRF, case.text), "text": "Спасибо, уточните дату."},
    )
    assert reply.status_code == 303, reply.text[:2000]
    for _ in range(2):
        assert "Спасибо, уточните дату." in reporter.get(caddy.portal("/mailbox"), timeout=30).text
    if stack.portal_role:
        # All of this ran with the portal processes connected as the least-privilege role.
        with stack.demo.engine.connect() as conn:
            roles = set(
                conn.execute(
                    text("SELECT usename FROM pg_stat_activity WHERE datname = current_database()")
                ).scalars()
            )
        assert stack.portal_role in roles


def _raw(port: int, data: bytes, tls: bool = False) -> None:
    """Bytes a broken or hostile client might send, from the marked client address."""
    with socket.create_connection(
        ("127.0.0.1", port), timeout=5, source_address=(harness.CLIENT_IP, 0)
    ) as sock:
        if tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            with context.wrap_socket(sock, server_hostname="localhost") as wrapped:
                wrapped.sendall(data)  # and hang up before the body is complete
            return
        sock.sendall(data)
        with contextlib.suppress(OSError):
            sock.recv(4096)


def _provoke(caddy: harness.Caddy, portal: bool = True) -> list[requests.Response]:
    """Requests that make a web server log: upstream down, junk, a body cut short."""
    browser = harness.client(str(caddy.root_ca))
    responses = [harness.get_until_ready(browser, caddy.backoffice("/"))]
    if portal:
        # Answers 502 after Caddy's 5 s of retries (lb_try_duration).
        responses.append(harness.get_until_ready(browser, caddy.portal("/report")))
    _raw(caddy.https_port, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")  # HTTP to TLS port
    _raw(caddy.https_port, b"\x16\x03\x01\x00\x05garbage")  # a broken TLS handshake
    _raw(caddy.onion_port, b"NONSENSE\r\n\r\n")
    _raw(
        caddy.https_port,
        b"POST /report HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
        b"100000\r\nUser-Agent: " + harness.MARKER_AGENT.encode() + b"\r\n\r\npartial",
        tls=True,
    )
    return responses


def _leaks(written: dict[Path, bytes]) -> list[str]:
    return [
        f"{path.name}: {marker}"
        for path, data in written.items()
        for marker in harness.MARKERS
        if marker.encode() in data
    ]


def _debug_variant(tmp_path: Path, keep_log_rules: bool) -> Path:
    """The Caddyfile at DEBUG level (what an admin does when troubleshooting): its own log
    block turned up, or, for the control, Caddy's default logger with `debug` instead."""
    text = harness.CADDYFILE.read_text()
    if keep_log_rules:
        assert "\t\tlevel INFO\n" in text
        text = text.replace("\t\tlevel INFO\n", "\t\tlevel DEBUG\n")
    else:
        start = text.index("\tlog default {")
        end = text.index("\n\t}\n", start) + len("\n\t}\n")
        text = text[:start] + "\tdebug\n" + text[end:]
    path = tmp_path / "Caddyfile.debug"
    path.write_text(text)
    return path


def test_caddy_logs_no_client_address_on_error_paths(tmp_path: Path) -> None:
    """Upstreams down, junk and aborted requests: Caddy answers, and writes no address."""
    require("caddy")
    dead = harness.free_port()  # nothing listens here
    caddy = harness.start_caddy(tmp_path, [dead, dead], dead)
    try:
        responses = _provoke(caddy)
    finally:
        caddy.process.stop()
    for response in responses:
        assert response.status_code == 502
        # Caddy's own error answers carry the baseline headers and no software name.
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store, max-age=0"
        assert "Server" not in response.headers
        assert response.headers["Strict-Transport-Security"] == HSTS
    written = caddy.written()
    assert written[caddy.process.log].strip(), "Caddy logged nothing at all: wrong file?"
    assert _leaks(written) == []


@pytest.mark.parametrize("keep_log_rules", [True, False], ids=["log-rules", "control"])
def test_debug_logging_still_names_no_client(tmp_path: Path, keep_log_rules: bool) -> None:
    """At DEBUG level the Caddyfile's log rules still hide the client. The control, Caddy's
    default logger at DEBUG, does print the address: so the check can see a leak."""
    require("caddy")
    dead = harness.free_port()
    caddy = harness.start_caddy(
        tmp_path, [dead, dead], dead, caddyfile=_debug_variant(tmp_path, keep_log_rules)
    )
    try:
        _provoke(caddy, portal=False)
    finally:
        caddy.process.stop()
    log = caddy.written()[caddy.process.log]
    # Console format (the Caddyfile's) or JSON (Caddy's default when not on a terminal).
    assert b"DEBUG" in log or b'"level":"debug"' in log, "debug logging did not switch on"
    leaks = _leaks(caddy.written())
    if keep_log_rules:
        assert leaks == []
    else:
        assert any(harness.CLIENT_IP in leak for leak in leaks), leaks


def test_no_client_address_reaches_a_log_or_an_app(stack: Stack) -> None:
    """After the flows above (and a few more requests): nothing anywhere names the client."""
    browser = harness.client(str(stack.caddy.root_ca))
    harness.get_until_ready(browser, stack.caddy.portal("/"))
    browser.get(stack.caddy.onion("/report"), timeout=30)
    browser.get(stack.caddy.portal("/no-such-page"), timeout=30)
    browser.post(stack.caddy.portal("/mailbox/login"), data={"code": "1"}, timeout=30)
    harness.get_until_ready(browser, stack.caddy.backoffice("/login"))
    _raw(stack.caddy.https_port, b"\x16\x03\x01\x00\x05garbage")
    # Junk straight at the apps' gunicorn ports (as if one were ever exposed): gunicorn logs
    # "Invalid request from ip=..." unless adal's logger withholds it.
    for tap in (*stack.portal_taps, stack.handler_tap):
        _raw(tap.upstream, b"GET /mailbox?code=1234 BAD\r\n\r\n")

    written = stack.caddy.written()
    for process in (*stack.portals, stack.handler):
        written[process.log] = process.log.read_bytes()
        # The junk was seen and logged, just without who sent it or what it asked for.
        assert b"Invalid request from a client (details withheld)" in written[process.log]
        assert b"/mailbox?code" not in written[process.log]
    assert _leaks(written) == []
    # What the apps received: no marker, and no forwarding header at all.
    for tap in (*stack.portal_taps, stack.handler_tap):
        sent = bytes(tap.sent)
        assert sent, "the tap saw no traffic"
        for marker in harness.MARKERS:
            assert marker.encode() not in sent, marker
        lowered = sent.lower()
        for header in harness.FORWARDING:
            assert b"\r\n" + header not in lowered, header
        # The browser's User-Agent is removed; Go's transport then sends its generic one.
        assert set(re.findall(rb"\r\nuser-agent: ([^\r]*)", lowered)) <= {b"go-http-client/1.1"}
        assert b"\r\nreferer:" not in lowered
        assert b"\r\nsec-ch-ua" not in lowered
