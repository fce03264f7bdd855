"""The mailbox shows each reporter-facing status the back office sets, in the reporter's words."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from rules.workflow import PUBLIC_STATUSES
from store.db import transaction
from store.models import Mailbox
from store.payloads import MAILBOX_STATUSES
from tests.support.instance import DemoInstance
from tests.support.portal import login, post_report, receipt_code, report_fields

SHOWN = {
    "received": "Received",
    "in_review": "Under review",
    "forwarded": "Passed to the Anti-Corruption Service",
    "decided": "Decision taken",
    "closed": "Closed",
}


def test_every_public_workflow_status_has_a_mailbox_status() -> None:
    # rules.workflow.public_status's values must all be statuses the portal can show.
    assert set(PUBLIC_STATUSES) <= set(MAILBOX_STATUSES)


@pytest.mark.parametrize("status", MAILBOX_STATUSES)
def test_mailbox_shows_status(client: FlaskClient, demo: DemoInstance, status: str) -> None:
    client.get("/lang/en")
    code = receipt_code(post_report(client, report_fields(client)).get_data(as_text=True))
    with transaction(demo.sessions) as s:
        s.execute(update(Mailbox).values(status=status))
    page = login(client, code)
    if page.status_code in (302, 303):
        page = client.get(page.headers["Location"])
    assert SHOWN[status] in page.get_data(as_text=True)
