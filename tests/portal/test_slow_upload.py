"""Issue 12, item 3: a sender that trickles its body cannot keep an upload slot.

Before the minimum rate, one slow upload held an upload slot for as long as Caddy's body
timeout allows (8 hours), and the default two slots were two connections away from refusing
every reporter's files. After the grace period the body must have arrived at the minimum
average rate, or its files are refused, the form comes back filled in, and the slot is free.
"""

from __future__ import annotations

import html
import time
from io import BytesIO

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal import create_app
from store.models import Submission
from tests.support.instance import DemoInstance
from tests.support.portal import make_config, post_report, receipt_code, report_fields

TYPED = "Қойма меңгерушісі генераторды сатып жіберді"


class Trickle(BytesIO):
    """A request body that arrives a little at a time, as from a deliberately slow sender."""

    def __init__(self, data: bytes, piece: int, pause: float) -> None:
        super().__init__(data)
        self.piece = piece
        self.pause = pause

    def read(self, size: int | None = -1) -> bytes:
        time.sleep(self.pause)
        return super().read(self.piece if size is None or size < 0 else min(size, self.piece))

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _submissions(demo: DemoInstance) -> int:
    with demo.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Submission)) or 0)


def test_a_trickled_upload_is_refused_and_frees_its_slot(demo: DemoInstance) -> None:
    app = create_app(
        demo.instance,
        make_config(
            upload_slots=1, upload_waiting=0, min_upload_rate=256 * 1024, upload_grace_seconds=0.3
        ),
    )
    client = app.test_client()
    fields = report_fields(client, facts=TYPED)
    fields["files"] = FileStorage(
        BytesIO(b"%PDF-1.4 " + b"x" * 512 * 1024), "akt.pdf", content_type="application/pdf"
    )
    boundary, body = encode_multipart(fields)
    started = time.monotonic()
    response = client.post(
        "/report",
        input_stream=Trickle(body, 4096, 0.05),
        content_length=len(body),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    # About 80 KiB/s against a minimum of 256 KiB/s: refused soon after the grace period,
    # not after the whole body (some seven seconds at this pace).
    assert time.monotonic() - started < 3.0
    assert response.status_code == 408
    page = response.get_data(as_text=True)
    assert html.escape(TYPED, quote=False) in page and "тым баяу" in page  # "too slowly"
    assert _submissions(demo) == 0
    # The one upload slot is free again: an honest report with a file goes through at once.
    sent = post_report(
        client,
        report_fields(client, facts=TYPED),
        [(b"%PDF-1.4 evidence", "akt.pdf", "application/pdf")],
    )
    assert sent.status_code == 200 and receipt_code(sent.get_data(as_text=True))
    assert _submissions(demo) == 1


def test_an_upload_at_a_fair_pace_is_not_refused(demo: DemoInstance) -> None:
    app = create_app(
        demo.instance, make_config(min_upload_rate=16 * 1024, upload_grace_seconds=0.2)
    )
    client = app.test_client()
    fields = report_fields(client, facts=TYPED)
    fields["files"] = FileStorage(
        BytesIO(b"%PDF-1.4 " + b"x" * 128 * 1024), "akt.pdf", content_type="application/pdf"
    )
    boundary, body = encode_multipart(fields)
    assert len(body) > 128 * 1024
    response = client.post(
        "/report",
        input_stream=Trickle(body, 8192, 0.02),
        content_length=len(body),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 200 and receipt_code(response.get_data(as_text=True))
