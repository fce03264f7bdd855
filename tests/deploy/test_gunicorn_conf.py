"""adal_cli/gunicorn_conf.py: what gunicorn is told when `adal portal` / `adal handler` run."""

from __future__ import annotations

from pathlib import Path

from gunicorn.config import Config

from adal_cli import gunicorn_conf
from adal_cli.serve import gunicorn_argv


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
    logger.warning("Invalid request from ip=203.0.113.9: Invalid HTTP request line: "
                   "'GET /mailbox?code=1234'")
    logger.warning("Invalid request from ip=2001:db8::7: bad header")
    logger.exception("Error handling request %s %s", "POST", "/mailbox/login?x=1")
    logger.info("Booting worker with pid: %s", 4242)
    logger.error("connection from 198.51.100.4 and fe80::1:2 closed at 12:30")
    logger.access(None, None, {"REMOTE_ADDR": "203.0.113.9"}, None)
    text = log_file.read_text()
    for leaked in ("203.0.113.9", "2001:db8::7", "/mailbox", "198.51.100.4", "fe80::1:2",
                   "code=1234"):
        assert leaked not in text, leaked
    assert text.count("Invalid request from a client (details withheld)") == 2
    assert "Error handling request (request line withheld)" in text
    assert "Booting worker with pid: 4242" in text
    assert "closed at 12:30" in text  # a time is not an address
