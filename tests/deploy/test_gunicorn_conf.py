"""adal_cli/gunicorn_conf.py: what gunicorn is told when `adal portal` / `adal handler` run."""

from __future__ import annotations

from pathlib import Path

import requests
from gunicorn.config import Config

from adal_cli import gunicorn_conf
from adal_cli.serve import gunicorn_argv
from bench import loopback as srv
from tests.support.instance import DemoInstance


def _config(errorlog: Path) -> Config:
    """The settings gunicorn ends up with for `adal portal` (flags, then the config module)."""
    argv = gunicorn_argv("portal", "127.0.0.1", 8080, 2, 4)
    config = Config()
    for name in dir(gunicorn_conf):
        if name in config.settings:
            config.set(name, getattr(gunicorn_conf, name))
    config.set("errorlog", str(errorlog))
    config.set("loglevel", "debug")
    assert "python:adal_cli.gunicorn_conf" in argv
    assert argv[argv.index("--access-logfile") + 1] == "/dev/null"
    return config


def test_settings_trust_no_forwarding_header(tmp_path: Path) -> None:
    config = _config(tmp_path / "error.log")
    assert config.forwarded_allow_ips == []
    assert config.proxy_allow_ips == []
    assert config.logger_class is gunicorn_conf.AnonymousLogger


def test_error_log_withholds_client_addresses_and_request_lines(tmp_path: Path) -> None:
    log_file = tmp_path / "error.log"
    logger = gunicorn_conf.AnonymousLogger(_config(log_file))
    logger.warning(
        "Invalid request from ip=203.0.113.9: Invalid HTTP request line: 'GET /mailbox?code=1234'"
    )
    logger.warning("Invalid request from ip=2001:db8::7: bad header")
    logger.exception("Error handling request %s %s", "POST", "/mailbox/login?x=1")
    logger.info("Booting worker with pid: %s", 4242)
    logger.error("connection from 198.51.100.4 and fe80::1:2 closed at 12:30")
    logger.access(None, None, {"REMOTE_ADDR": "203.0.113.9"}, None)
    text = log_file.read_text()
    for leaked in (
        "203.0.113.9",
        "2001:db8::7",
        "/mailbox",
        "198.51.100.4",
        "fe80::1:2",
        "code=1234",
    ):
        assert leaked not in text, leaked
    assert text.count("Invalid request from a client (details withheld)") == 2
    assert "Error handling request (request line withheld)" in text
    assert "Booting worker with pid: 4242" in text
    assert "closed at 12:30" in text  # a time is not an address


def test_upload_read_ahead_is_bounded() -> None:
    """gunicorn would recv() up to 1 MiB of an upload ahead of the app and copy it around; the
    portal's worker memory budget (bench/upload.py) counts on 128 KiB."""
    import socket
    import threading
    import time

    from gunicorn.http.unreader import SocketUnreader

    assert gunicorn_conf.SocketUnreader is SocketUnreader
    left, right = socket.socketpair()
    left.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sender = threading.Thread(target=right.sendall, args=(b"x" * (1024 * 1024),))
    try:
        sender.start()
        reader = SocketUnreader(left)
        time.sleep(0.3)  # let more than 128 KiB pile up in the socket
        sizes = [len(reader.chunk(size_hint=1024 * 1024))]
        assert sizes[0] == 128 * 1024
        while sum(sizes) < 1024 * 1024:
            sizes.append(len(reader.chunk(size_hint=1024 * 1024)))
        assert max(sizes) <= 128 * 1024
    finally:
        sender.join(10)
        left.close()
        right.close()


def test_portal_runs_lean_and_the_back_office_as_is() -> None:
    from adal_cli.serve import gunicorn_env

    portal = gunicorn_argv("portal", "127.0.0.1", 8080, 2, 4)
    handler = gunicorn_argv("handler", "127.0.0.1", 8081, 2, 4)
    assert portal[1:4] == ["-OO", "-m", "gunicorn"]
    assert handler[1:3] == ["-m", "gunicorn"]
    env = gunicorn_env("portal", 16, {"PATH": "/usr/bin"})
    assert env["MALLOC_ARENA_MAX"] == "2" and env["PATH"] == "/usr/bin"
    assert env["ADAL_PORTAL_THREADS"] == "16"
    assert "MALLOC_ARENA_MAX" not in gunicorn_env("handler", 16, {"PATH": "/usr/bin"})


def test_two_instances_of_one_user_start_cleanly(demo: DemoInstance, tmp_path: Path) -> None:
    # Production runs several portals (and the back office) as one user: gunicorn 25+ would
    # give each the same control socket, and every one after the first logged an error.
    home = tmp_path / "home"
    home.mkdir()
    servers = [
        srv.start_portal(demo.path, tmp_path / f"run{i}", HOME=str(home), XDG_RUNTIME_DIR=str(home))
        for i in range(2)
    ]
    try:
        for server in servers:
            assert requests.get(server.url("/"), timeout=30).status_code == 200
    finally:
        for server in servers:
            server.stop()
    for server in servers:
        log = server.log.read_text(errors="replace")
        assert "Control server" not in log and "already in use" not in log, log[-2000:]
    assert not any(p.name.endswith(".ctl") for p in home.rglob("*"))
