"""The whole loop through both real apps on one instance: a reporter submits on the portal, a
handler opens and answers in the back office, the reporter reads the answer in the mailbox and
follows up, and the follow-up shows in the case."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from flask import Flask
from sqlalchemy import select

from portal import create_app as create_portal
from store.models import Attachment, Message
from tests.support import portal as site
from tests.support.backoffice import Browser
from tests.support.instance import DemoInstance


def test_portal_report_is_opened_answered_and_followed_up(
    demo: DemoInstance, app: Flask, as_role: Callable[[str], Browser]
) -> None:
    portal = create_portal(demo.instance, site.make_config())
    portal.config["TESTING"] = True
    reporter = portal.test_client()
    try:
        data = site.report_fields(
            reporter,
            facts="Начальник требует деньги за подпись акта.",
            position="начальник отдела",
            unit="отдел закупок",
        )
        response = site.post_report(
            reporter, data, [(b"scan of the act", "акт.pdf", "application/pdf")]
        )
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        code = site.receipt_code(response.get_data(as_text=True))

        handler = as_role("handler")
        inbox = handler.get("/inbox").get_data(as_text=True)
        links = re.findall(r'href="/cases/([0-9a-f]{32})"', inbox)
        assert len(links) == 1
        case_url = f"/cases/{links[0]}"
        page = handler.get(case_url).get_data(as_text=True)
        assert "Начальник требует деньги за подпись акта." in page
        assert "отдел закупок" in page and "акт.pdf" in page
        assert (
            handler.post(f"{case_url}/reply", {"text": "Получили. Когда это было?"}).status_code
            == 303
        )

        reporter.get("/lang/en")
        assert site.login(reporter, code).status_code == 303
        mailbox = reporter.get("/mailbox").get_data(as_text=True)
        assert "Получили. Когда это было?" in mailbox
        # Opened and answered: no longer "waiting for the person authorised to receive".
        assert "Under review" in mailbox and "Received" not in mailbox
        followed = reporter.post(
            "/mailbox/reply",
            data={
                "csrf_token": site.csrf_token(mailbox),
                "text": "Двенадцатого марта, в кабинете.",
                "files": [(io.BytesIO(b"note bytes"), "заметка.txt", "text/plain")],
            },
            content_type="multipart/form-data",
        )
        assert followed.status_code == 303

        page = handler.get(case_url).get_data(as_text=True)
        assert "Двенадцатого марта, в кабинете." in page and "заметка.txt" in page
        with demo.sessions() as s:
            follow_up = s.scalars(select(Message).where(Message.direction == "from_reporter")).one()
            note = s.scalars(select(Attachment).where(Attachment.message_id == follow_up.id)).one()
        download = handler.get(f"{case_url}/files/{note.id}")
        assert download.data == b"note bytes"
        assert "filename*=UTF-8''%D0%B7" in download.headers["Content-Disposition"]
    finally:
        portal.extensions["adal.engine"].dispose()
