"""The receipt-KDF queue: a bounded line, 503 + Retry-After past it, pages keep answering,
and every Argon2 run in a child process."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from flask import Flask

from crypto import kdf, receipt
from portal import create_app
from portal.kdf_queue import KdfBusy, KdfQueue
from tests.support.instance import DemoInstance
from tests.support.portal import (
    csrf_token,
    make_config,
    post_report,
    receipt_code,
    report_fields,
)


def _seconds_to_refusal(queue: KdfQueue, wait: float) -> float:
    """How long a caller willing to wait `wait` seconds took to be refused a slot."""
    start = time.perf_counter()
    with pytest.raises(KdfBusy), queue.slot(wait=wait):
        raise AssertionError("a slot was granted")
    return time.perf_counter() - start


def test_a_caller_that_does_not_wait_is_refused_at_once() -> None:
    """A new report's KDF (and a refused body's drain) asks for a slot without waiting: it is
    refused at once even while the line has room, and leaves that room free."""
    queue = KdfQueue(1, waiting=1)
    outcomes: list[str] = []
    with queue.slot():
        # A non-blocking acquire takes microseconds; any wait in line would be whole seconds.
        assert _seconds_to_refusal(queue, wait=0.0) < 2.0
        waiter = _stand_in_line(queue, outcomes, wait=60.0)  # the line's one place is free
    waiter.join()
    assert outcomes == ["ran"]


def test_queue_is_non_blocking() -> None:
    queue = KdfQueue(1, waiting=0)
    with queue.slot():
        # No line to wait in: refused at once, not after the 60 s it was willing to wait.
        assert _seconds_to_refusal(queue, wait=60.0) < 30
    with queue.slot():  # released again
        pass


def test_full_queue_refuses_logins_but_serves_pages(demo: DemoInstance) -> None:
    app: Flask = create_app(demo.instance, make_config(kdf_slots=1, kdf_waiting=0))
    client = app.test_client()
    page = client.get("/mailbox").get_data(as_text=True)
    code = receipt.format_code(receipt.generate())
    with app.extensions["adal.kdf_queue"].slot():  # every slot is held by "other logins"
        assert client.get("/").status_code == 200
        start = time.perf_counter()
        refused = client.post("/mailbox/login", data={"csrf_token": csrf_token(page), "code": code})
        assert refused.status_code == 503
        # No room in line: refused at once, not after KDF_WAIT_FOR_LOGIN (5 s) in line.
        assert time.perf_counter() - start < 4.0
        assert refused.headers["Retry-After"].isdigit()
        assert "<h1>" in refused.get_data(as_text=True)
        assert client.get("/rights").status_code == 200
    # Free again: the same login now runs its KDF and gets the generic "no mailbox" answer.
    answered = client.post("/mailbox/login", data={"csrf_token": csrf_token(page), "code": code})
    assert answered.status_code == 422


def test_login_waits_briefly_behind_other_work(demo: DemoInstance) -> None:
    """A few new reports holding every slot must not lock reporters out of their mailboxes."""
    app: Flask = create_app(demo.instance, make_config(kdf_slots=1))
    client = app.test_client()
    code = receipt_code(post_report(client, report_fields(client)).get_data(as_text=True))
    client = app.test_client()  # a new visitor with only the code
    page = client.get("/mailbox").get_data(as_text=True)
    queue = app.extensions["adal.kdf_queue"]
    held = threading.Event()

    def hold() -> None:
        with queue.slot():
            held.set()
            time.sleep(0.4)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    answer = client.post("/mailbox/login", data={"csrf_token": csrf_token(page), "code": code})
    holder.join()
    assert answer.status_code == 303
    assert client.get("/mailbox").status_code == 200
    queue.close()


def _stand_in_line(queue: KdfQueue, outcomes: list[str], wait: float) -> threading.Thread:
    """A caller waiting for a slot (the caller of this holds them all); returns once it is in
    line. It appends "ran" when it got a slot, "busy" when it was refused."""
    in_line = threading.Event()

    def wait_in_line() -> None:
        in_line.set()
        try:
            with queue.slot(wait=wait):
                outcomes.append("ran")
        except KdfBusy:
            outcomes.append("busy")

    waiter = threading.Thread(target=wait_in_line)
    waiter.start()
    in_line.wait(5)
    time.sleep(0.1)  # past the event, into the semaphore's wait
    return waiter


def test_waiting_line_is_bounded() -> None:
    queue = KdfQueue(1, waiting=1)
    outcomes: list[str] = []
    with queue.slot():
        waiter = _stand_in_line(queue, outcomes, wait=60.0)
        # Past the line's end: refused at once, not after waiting.
        assert _seconds_to_refusal(queue, wait=60.0) < 30
    waiter.join()
    assert outcomes == ["ran"]  # the one in line got the slot when it was released


def test_argon2_runs_in_a_child_not_in_the_web_process(
    demo: DemoInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's memory must not carry the KDF's 64 MiB: the web process never runs it."""
    app: Flask = create_app(demo.instance, make_config(kdf_slots=1))
    client = app.test_client()
    code = receipt_code(post_report(client, report_fields(client)).get_data(as_text=True))

    def not_here(*_args: object) -> None:
        raise AssertionError("Argon2 ran in the web process")

    monkeypatch.setattr(kdf, "derive_receipt_secrets", not_here)
    monkeypatch.setattr(kdf, "hash_secret_raw", not_here)
    queue = app.extensions["adal.kdf_queue"]
    for _ in range(2):
        visitor = app.test_client()
        page = visitor.get("/mailbox").get_data(as_text=True)
        answer = visitor.post("/mailbox/login", data={"csrf_token": csrf_token(page), "code": code})
        assert answer.status_code == 303
        # A child killed between logins (OOM killer, an operator) is replaced unnoticed.
        for pid in _children():
            os.kill(pid, signal.SIGKILL)
    new_report = post_report(client, report_fields(client))
    assert new_report.status_code == 200
    queue.close()


def _children() -> list[int]:
    pids: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        pids += [int(p) for p in (task / "children").read_text().split()]
    return pids


def test_queue_settings_from_the_environment() -> None:
    from portal.config import ConfigError, PortalConfig

    cfg = PortalConfig.from_env({"ADAL_KDF_SLOTS": "3", "ADAL_KDF_WAITING": "0"})
    assert (cfg.kdf_slots, cfg.kdf_waiting) == (3, 0)
    assert PortalConfig.from_env({}).kdf_waiting == 1
    for bad in ("-1", "two", "1.5"):
        with pytest.raises(ConfigError, match="ADAL_KDF_WAITING"):
            PortalConfig.from_env({"ADAL_KDF_WAITING": bad})


def test_kdf_work_leaves_half_the_threads_to_the_pages() -> None:
    from portal.config import ConfigError, PortalConfig

    for threads in (1, 2, 4, 16, 64):
        cfg = PortalConfig.from_env({"ADAL_PORTAL_THREADS": str(threads)})
        assert cfg.kdf_slots >= 1
        assert cfg.kdf_slots + cfg.kdf_waiting <= max(1, threads // 2)
        assert cfg.kdf_slots <= (os.cpu_count() or 1)
    with pytest.raises(ConfigError, match="raise --threads"):
        PortalConfig.from_env(
            {"ADAL_PORTAL_THREADS": "4", "ADAL_KDF_SLOTS": "2", "ADAL_KDF_WAITING": "1"}
        )


def test_a_report_is_never_refused_nor_kept_waiting(demo: DemoInstance) -> None:
    """p6: with every slot held and the line full, a report derives at once in a child of its
    own; and it takes no place in the line that a login could have had."""
    app: Flask = create_app(demo.instance, make_config(kdf_slots=1, kdf_waiting=1))
    client = app.test_client()
    data = report_fields(client)
    queue = app.extensions["adal.kdf_queue"]
    outcomes: list[str] = []
    with queue.slot():
        waiter = _stand_in_line(queue, outcomes, wait=60.0)  # a login
        start = time.perf_counter()
        response = post_report(client, data)
        # It did not wait for the held slot: a child of its own at test strength takes well
        # under a second; waiting would take the line's seconds.
        assert time.perf_counter() - start < 5.0
    waiter.join()
    assert response.status_code == 200
    assert receipt_code(response.get_data(as_text=True))
    assert outcomes == ["ran"]  # the login in line got the slot, not the report
    queue.close()


def test_uploads_leave_threads_to_the_pages() -> None:
    from portal.config import ConfigError, PortalConfig

    for threads in (1, 2, 4, 16, 64):
        cfg = PortalConfig.from_env({"ADAL_PORTAL_THREADS": str(threads)})
        assert cfg.upload_slots >= 1 and cfg.upload_waiting >= 0
        if threads >= 4:  # below that, one upload and one KDF run are all there is
            held = cfg.kdf_slots + cfg.kdf_waiting + cfg.upload_slots + cfg.upload_waiting
            assert held < threads
    cfg = PortalConfig.from_env({"ADAL_PORTAL_THREADS": "16"})
    assert (cfg.upload_slots, cfg.upload_waiting) == (4, 3)
    with pytest.raises(ConfigError, match="ADAL_UPLOAD_SLOTS"):
        PortalConfig.from_env({"ADAL_PORTAL_THREADS": "16", "ADAL_UPLOAD_SLOTS": "8"})
    with pytest.raises(ConfigError, match="ADAL_UPLOAD_WAITING"):
        PortalConfig.from_env({"ADAL_PORTAL_THREADS": "4", "ADAL_UPLOAD_WAITING": "1"})
    assert (
        PortalConfig.from_env(
            {"ADAL_PORTAL_THREADS": "16", "ADAL_UPLOAD_SLOTS": "7", "ADAL_UPLOAD_WAITING": "0"}
        ).upload_slots
        == 7
    )
    for bad in ("0", "many"):
        with pytest.raises(ConfigError, match="ADAL_UPLOAD_SLOTS"):
            PortalConfig.from_env({"ADAL_UPLOAD_SLOTS": bad})
