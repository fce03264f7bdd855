"""A full KDF queue refuses logins at once with 503 + Retry-After; other pages keep answering."""

from __future__ import annotations

import threading
import time

from flask import Flask

from crypto import receipt
from portal import create_app
from portal.kdf_queue import KdfBusy, KdfQueue
from tests.portal.conftest import csrf_token, make_config, post_report, report_fields
from tests.support import DemoInstance


def test_queue_is_non_blocking() -> None:
    queue = KdfQueue(1)
    with queue.slot():
        start = time.perf_counter()
        try:
            with queue.slot():
                raise AssertionError("a second slot was granted")
        except KdfBusy:
            pass
        assert time.perf_counter() - start < 0.05
    with queue.slot():  # released again
        pass


def test_full_queue_refuses_logins_but_serves_pages(demo: DemoInstance) -> None:
    app: Flask = create_app(demo.instance, make_config(kdf_slots=1))
    client = app.test_client()
    page = client.get("/mailbox").get_data(as_text=True)
    code = receipt.format_code(receipt.generate())
    with app.extensions["adal.kdf_queue"].slot():  # every slot is held by "other logins"
        start = time.perf_counter()
        landing = client.get("/")
        latency = time.perf_counter() - start
        assert landing.status_code == 200 and latency < 1.0
        refused = client.post("/mailbox/login", data={"csrf_token": csrf_token(page),
                                                      "code": code})
        assert refused.status_code == 503
        assert refused.headers["Retry-After"].isdigit()
        assert "<h1>" in refused.get_data(as_text=True)
        assert client.get("/rights").status_code == 200
    # Free again: the same login now runs its KDF and gets the generic "no mailbox" answer.
    answered = client.post("/mailbox/login", data={"csrf_token": csrf_token(page), "code": code})
    assert answered.status_code == 422


def test_report_waits_for_a_slot_instead_of_being_refused(demo: DemoInstance) -> None:
    """p6: a report may not be refused; it waits for (or, after a while, skips) the queue."""
    app: Flask = create_app(demo.instance, make_config(kdf_slots=1))
    client = app.test_client()
    data = report_fields(client)
    queue = app.extensions["adal.kdf_queue"]
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with queue.slot():
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    threading.Timer(0.3, release.set).start()
    response = post_report(client, data)
    holder.join()
    assert response.status_code == 200
