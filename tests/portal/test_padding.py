"""Issue 12, item 4: a page's length tells nothing about what it says.

Someone watching the reporter's connection sees only sizes. The mailbox page with a short reply
from the handlers and the one without must be the same length, and so must the receipt pages
of reports with and without files.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from rules.clock import local_date, utcnow
from store import payloads, sealing
from store.models import Mailbox, Message, Submission
from store.recipients import holders
from tests.support.instance import DemoInstance
from tests.support.portal import login, post_report, receipt_code, report_fields


def _open_mailbox(client: FlaskClient) -> str:
    code = receipt_code(post_report(client, report_fields(client)).get_data(as_text=True))
    assert login(client, code).status_code == 303
    return code


def _reply(demo: DemoInstance, text: str) -> None:
    """The handlers' reply to the only report, sealed to its mailbox key as the back office
    seals it."""
    with demo.sessions() as s, s.begin():
        submission = s.scalars(select(Submission)).one()
        assert submission.mailbox_id
        mailbox = s.get(Mailbox, submission.mailbox_id)
        assert mailbox is not None
        today = local_date(utcnow())
        payload = payloads.encode(
            payloads.MESSAGE_FORMAT,
            {"sent_at": payloads.utc_timestamp(utcnow()), "text": text, "attachments": []},
        )
        envelope = sealing.seal(
            s,
            "message",
            payload,
            [*holders(s, submission.report_envelope), mailbox.public_key],
            today,
        )
        s.add(
            Message(
                submission_id=submission.id,
                direction="to_reporter",
                envelope_id=envelope.id,
                created_on=today,
            )
        )


def _length(client: FlaskClient, path: str) -> int:
    response = client.get(path)
    assert response.status_code == 200
    assert response.content_length == len(response.data)
    return len(response.data)


def test_a_short_reply_does_not_change_the_mailbox_page_length(
    app: Flask, demo: DemoInstance
) -> None:
    quiet, answered = app.test_client(), app.test_client()
    _open_mailbox(answered)
    _reply(demo, "Спасибо. Ваше сообщение зарегистрировано, проверка начата.")
    _open_mailbox(quiet)
    with_reply = answered.get("/mailbox").get_data(as_text=True)
    assert "проверка начата" in with_reply
    assert _length(quiet, "/mailbox") == _length(answered, "/mailbox")


def test_receipt_pages_have_one_length_with_and_without_files(app: Flask) -> None:
    first = app.test_client()
    plain = post_report(first, report_fields(first))
    client = app.test_client()
    with_files = post_report(
        client,
        report_fields(client, facts="Подробно: " + "ы" * 300),
        files=[(b"%PDF-1.4 evidence", "akt.pdf", "application/pdf")],
    )
    assert plain.status_code == with_files.status_code == 200
    assert "akt.pdf" not in plain.get_data(as_text=True)
    assert plain.content_length == with_files.content_length == len(with_files.data)


def test_every_portal_page_is_padded_to_a_bucket(client: FlaskClient) -> None:
    for path in ("/", "/report", "/mailbox", "/no-such-page"):
        response = client.get(path)
        assert len(response.data) % (16 * 1024) == 0, path
        assert response.get_data(as_text=True).rstrip().endswith("</html>"), path
