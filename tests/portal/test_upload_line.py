"""Files wait a moment for an upload slot, in a short line; past it the form comes back."""

from __future__ import annotations

import threading
import time

from flask import Flask
from sqlalchemy import func, select

from portal import create_app
from store.models import Submission
from tests.support.instance import DemoInstance
from tests.support.portal import make_config, post_report, receipt_code, report_fields

TYPED = "Қойма меңгерушісі генераторды сатып жіберді"
EVIDENCE = [(b"%PDF-1.4 evidence", "act.pdf", "application/pdf")]


def _submissions(demo: DemoInstance) -> int:
    with demo.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Submission)) or 0)


def _hold_slot(app: Flask, seconds: float) -> threading.Thread:
    taken = threading.Event()

    def hold() -> None:
        with app.extensions["adal.upload_line"].slot():
            taken.set()
            time.sleep(seconds)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert taken.wait(5)
    return holder


def test_files_wait_in_line_for_a_slot(demo: DemoInstance) -> None:
    app = create_app(demo.instance, make_config(upload_slots=1, upload_waiting=1))
    client = app.test_client()
    holder = _hold_slot(app, 1.0)
    started = time.monotonic()
    response = post_report(client, report_fields(client, facts=TYPED), EVIDENCE)
    assert response.status_code == 200 and receipt_code(response.get_data(as_text=True))
    assert time.monotonic() - started >= 0.5  # it waited for the slot, then went through
    holder.join()
    assert _submissions(demo) == 1


def test_past_the_line_files_are_refused_and_the_form_comes_back(demo: DemoInstance) -> None:
    app = create_app(demo.instance, make_config(upload_slots=1, upload_waiting=0))
    client = app.test_client()
    holder = _hold_slot(app, 2.0)
    response = post_report(client, report_fields(client, facts=TYPED), EVIDENCE)
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
    assert TYPED in page and 'action="/report"' in page and 'role="alert"' in page
    # A report without files needs no slot.
    plain = post_report(client, report_fields(client, facts=TYPED))
    assert plain.status_code == 200
    holder.join()
    assert _submissions(demo) == 1
