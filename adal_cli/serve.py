"""`adal portal`, `adal handler` and `adal run-demo`: the two apps under gunicorn.

The portal runs with gunicorn's access log off: an access log line is a reporter's IP address
and time. The apps are separate processes so the back office can live on another host.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click

from adal_cli.context import load_context
from portal.config import ConfigError, PortalConfig

APPS = {
    "portal": "portal:create_app()",
    "handler": "handler:create_app()",
}


# The portal streams uploads of up to 2 GiB per request; its workers must stay small while they
# do (issue 3: under 64 MiB while a 1 GiB file goes through; `bench/upload.py` measures it).
#  * -OO leaves docstrings out of the code objects, about 2 MiB per worker. No assert in our
#    code guards anything (they narrow types for mypy), so dropping them changes no behaviour.
#  * glibc otherwise gives each of the (up to 16) threads a malloc arena of its own, each
#    keeping the upload buffers it once freed; two arenas are plenty for threads under a GIL.
#    And once a large buffer is freed glibc raises its mmap threshold (up to 32 MiB), so later
#    upload buffers would come from, and fragment, the heap; pinned at 128 KiB they are mapped
#    on their own and returned when freed.
# gunicorn's own read-ahead is bounded in adal_cli/gunicorn_conf.py.
PORTAL_PYTHON_FLAGS = ("-OO",)
PORTAL_MALLOC_ENV = {"MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": "131072"}


def gunicorn_env(app: str, threads: int, base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    if app == "portal":
        env.update(PORTAL_MALLOC_ENV)
        # The KDF queue sizes itself to the threads (portal.config): slots and line together
        # take at most half of them.
        env["ADAL_PORTAL_THREADS"] = str(threads)
    return env


def check_portal_config(env: dict[str, str]) -> None:
    """A setting the portal cannot use stops `adal portal` here, with the reason, rather than
    failing every worker's boot inside gunicorn."""
    try:
        PortalConfig.from_env(env)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def gunicorn_argv(app: str, host: str, port: int, workers: int, threads: int) -> list[str]:
    flags = list(PORTAL_PYTHON_FLAGS) if app == "portal" else []
    return [
        sys.executable,
        *flags,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        # Long enough for a slow upload over Tor; gthread workers keep serving meanwhile.
        "--timeout",
        "600",
        "--graceful-timeout",
        "30",
        # No access log: never an address, a user agent or a request line on disk.
        "--access-logfile",
        "/dev/null",
        "--error-logfile",
        "-",
        "--log-level",
        "warning",
        "--config",
        "python:adal_cli.gunicorn_conf",
        APPS[app],
    ]


def _serve(app: str, host: str, port: int, workers: int, threads: int) -> None:
    load_context(portal=app == "portal")  # fail here, clearly, not in every worker
    env = gunicorn_env(app, threads)
    if app == "portal":
        check_portal_config(env)
    os.execve(sys.executable, gunicorn_argv(app, host, port, workers, threads), env)  # noqa: S606


def _options(default_port: int):  # type: ignore[no-untyped-def]
    def wrap(f):  # type: ignore[no-untyped-def]
        f = click.option("--threads", default=4, show_default=True)(f)
        f = click.option("--workers", default=2, show_default=True)(f)
        f = click.option("--port", default=default_port, show_default=True)(f)
        return click.option("--host", default="127.0.0.1", show_default=True)(f)

    return wrap


@click.command("portal")
@_options(8080)
def portal_command(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the public reporter portal."""
    _serve("portal", host, port, workers, threads)


@click.command("handler")
@_options(8081)
def handler_command(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the back office (internal network only)."""
    _serve("handler", host, port, workers, threads)


@click.command("run-demo")
@click.option("--portal-port", default=8080, show_default=True)
@click.option("--handler-port", default=8081, show_default=True)
def run_demo_command(portal_port: int, handler_port: int) -> None:
    """Serve the portal and the back office side by side on 127.0.0.1 until Ctrl-C."""
    ctx = load_context()
    env = dict(os.environ, ADAL_INSECURE_COOKIES="1")  # plain HTTP on loopback for the demo
    procs = [
        subprocess.Popen(  # noqa: S603 - our own gunicorn argv, no shell, no user input
            gunicorn_argv("portal", "127.0.0.1", portal_port, 1, 4),
            env=gunicorn_env("portal", 4, env),
        ),
        subprocess.Popen(  # noqa: S603 - our own gunicorn argv, no shell, no user input
            gunicorn_argv("handler", "127.0.0.1", handler_port, 1, 4),
            env=gunicorn_env("handler", 4, env),
        ),
    ]
    click.echo(f"Portal:      http://127.0.0.1:{portal_port}/")
    click.echo(f"Back office: http://127.0.0.1:{handler_port}/")
    creds = ctx.instance.path / "demo-credentials.txt"
    if creds.exists():
        click.echo(f"Demo users:  {creds}")
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=30)
