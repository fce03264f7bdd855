"""What every fuzz test shares: reproducible Hypothesis settings, a log watch, a counting client.

The apps run as in production (TESTING off), so an exception becomes a 500 page and a log line;
both are failures here: every response must be < 500, carry no traceback, and leave no ERROR
record or exception in any log the apps write to.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from io import BytesIO
from typing import Any
from urllib.parse import unquote

from flask import Flask
from hypothesis import HealthCheck, Phase, settings
from werkzeug.test import TestResponse

from tests.support import needs

# Derandomized: CI draws the same examples on every run, so a failure reproduces; no example
# database, so nothing is replayed from a developer's earlier runs either. CI reports a
# failing example as drawn (shrinking one can take minutes of the CI budget); the same run on
# a developer's machine finds the same example and shrinks it.
_PHASES = (
    (Phase.explicit, Phase.generate)
    if needs.in_ci()
    else (Phase.explicit, Phase.generate, Phase.shrink)
)
_BASE = settings(
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    phases=_PHASES,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)
# Loggers the apps write to; the portal's own logger does not propagate to the root.
LOGGERS = (
    "",
    "adal.portal",
    "adal.handler",
    "portal",
    "handler",
    "flask.app",
    "werkzeug",
    "sqlalchemy",
)
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def fuzz_settings(examples: int) -> settings:
    return settings(_BASE, max_examples=examples)


class LogWatch(logging.Handler):
    """Keeps every ERROR (or worse) record and every record that carries an exception."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.problems: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.problems.append(f"{record.name} {record.levelname}: {record.getMessage()}")


@contextmanager
def watched_logs() -> Iterator[LogWatch]:
    watch = LogWatch()
    loggers = [logging.getLogger(name) for name in LOGGERS]
    for logger in loggers:
        logger.addHandler(watch)
    try:
        yield watch
    finally:
        for logger in loggers:
            logger.removeHandler(watch)


class Fuzzer:
    """A test client that counts requests and checks each answer as it comes."""

    def __init__(self, app: Flask, watch: LogWatch, base_url: str, *, cookies: bool = True) -> None:
        self.app = app
        self.watch = watch
        self.base_url = base_url
        self.client = app.test_client(use_cookies=cookies)
        self.count = 0

    def send(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        self.watch.problems.clear()  # each request answers for its own log lines
        if path.startswith("//"):
            # A request line may start with "//"; the test client would read it as a host.
            raw, _, query = path.partition("?")
            overrides = dict(kwargs.pop("environ_overrides", None) or {})
            overrides.update(PATH_INFO=unquote(raw, "latin-1"), RAW_URI=path, REQUEST_URI=path)
            kwargs["environ_overrides"] = overrides
            kwargs["query_string"] = query
            path = "/"
        response = self.client.open(path, method=method, base_url=self.base_url, **kwargs)
        self.count += 1
        body = response.get_data()  # also runs a streamed body (downloads) to its end
        response.close()
        where = f"{method} {path[:200]!r}"
        assert response.status_code < 500, f"{where} answered {response.status_code}"
        assert b"Traceback (most recent call last)" not in body, f"{where}: traceback in body"
        assert not self.watch.problems, f"{where} logged: {self.watch.problems}"
        return response

    def token(self, path: str) -> str:
        """The CSRF token of the form on `path` (one GET, counted like any other)."""
        return self.token_in(self.send("GET", path).get_data(as_text=True))

    @staticmethod
    def token_in(page: str) -> str:
        found = _CSRF.search(page)
        return found.group(1) if found else ""


def file_part_failure(fuzz: Fuzzer, page: str, action: str, name: str) -> str | None:
    """Post a file part under a text field's name (a crafted form); the finding, if any."""
    token = fuzz.token(page)
    try:
        fuzz.send(
            "POST",
            action,
            content_type="multipart/form-data",
            data={"csrf_token": token, name: (BytesIO(b"not text"), "field.txt")},
        )
    except AssertionError as exc:
        return f"{action} with a file part named {name!r}: {exc}"
    return None


def file_part_failures(
    fuzz: Fuzzer,
    page: str,
    action: str,
    names: Iterable[str],
    before: Callable[[], object] | None = None,
) -> list[str]:
    """`file_part_failure` for each field name, calling `before` ahead of each post."""
    failures = []
    for name in names:
        if before is not None:
            before()
        failure = file_part_failure(fuzz, page, action, name)
        if failure:
            failures.append(failure)
    return failures


def assert_bad_hosts_refused(fuzz: Fuzzer, hosts: Iterable[str]) -> None:
    failures = bad_host_failures(fuzz, hosts)
    assert not failures, "\n".join(failures)


def bad_host_failures(fuzz: Fuzzer, hosts: Iterable[str]) -> list[str]:
    """Such a request reaches an app only without the proxy in front; it must still get a
    4xx page, not an error page that fails to render (a bare 500 and a traceback)."""
    failures = []
    for host in hosts:
        for method, path in (("GET", "/"), ("GET", "/no-such-page"), ("POST", "/")):
            try:
                fuzz.send(method, path, headers={"Host": host})
            except Exception as exc:  # an exception out of the app is the finding
                failures.append(
                    f"Host {host[:20]!r}…: {method} {path}: {type(exc).__name__}: {exc}"
                )
    return failures


# Examples per test, and the requests each example sends at least: every test asserts its
# floor (examples × requests), and the floors of both apps add up to the 10,000 CI promises
# (test_fuzz_portal.py checks the sum, so both tables live here).
PORTAL_EXAMPLES = {"anything": 2500, "report": 900, "login": 1000, "mailbox": 600}
PORTAL_PER_EXAMPLE = {"anything": 1, "report": 2, "login": 2, "mailbox": 2}
BACKOFFICE_EXAMPLES = {
    "signed-out": 1500,
    "handler": 1100,
    "head": 300,
    "admin": 500,
    "auditor": 200,
}


def portal_floor(name: str) -> int:
    return PORTAL_EXAMPLES[name] * PORTAL_PER_EXAMPLE[name]


def backoffice_floor(name: str) -> int:
    """Requests the test sends at least: one per example."""
    return BACKOFFICE_EXAMPLES[name]


def body_kwargs(body: Any, token: str | None) -> dict[str, Any]:
    if body is None:
        return {}
    kind, payload = body
    if kind == "form":
        data = dict(payload)
        if token is not None:
            data.setdefault("csrf_token", token)
        return {"data": data}
    if kind == "raw":
        raw, content_type = payload
        return {"data": raw, "content_type": content_type}
    return {"data": payload.body(token), "content_type": payload.content_type}
