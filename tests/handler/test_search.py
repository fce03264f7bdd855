"""Search over the cases a user holds (issue 15): reports, follow-ups and notes, decrypted on
demand; folding as people type; nothing of a case not held; and no trace of the words or the
text anywhere after a search (files, tables, logs), only an audit entry with the count."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from cases import sharing
from store.models import Base, Submission, User
from tests.support.backoffice import (
    Browser,
    PortalReport,
    audit_entries,
    reporter_follows_up,
    store_portal_report,
)
from tests.support.instance import DemoInstance

IN_REPORT = "Начальник отдела закупок Ёржан потребовал откат 9d41"
IN_FOLLOW_UP = "Деньги передали в кафе у вокзала 9d42"
IN_NOTE = "Проверить договоры поставки за прошлый год 9d43"
NOT_HELD = "Чужая тайна другого подразделения 9d44"
KAZAKH = "Қызметкер үйінде өңірлік әкімдіктің құжаттарын ұстаған 9d45"


def _find(client: Browser, query: str, page: int = 1) -> tuple[int, str]:
    response = client.get("/search", query_string={"q": query, "page": page})
    return response.status_code, response.get_data(as_text=True)


def _take_from_handler(demo: DemoInstance, report: PortalReport) -> None:
    with demo.sessions() as s, s.begin():
        submission = s.get(Submission, report.submission_id)
        handler = s.scalars(select(User).where(User.role == "handler")).first()
        assert submission is not None and handler is not None
        sharing.revoke_case(s, submission, handler)


@pytest.fixture
def cases(demo: DemoInstance, as_role: Callable[[str], Browser]) -> tuple[Browser, str, str]:
    held = store_portal_report(demo, facts=IN_REPORT)
    reporter_follows_up(demo, held, IN_FOLLOW_UP)
    kazakh = store_portal_report(demo, facts=KAZAKH)
    other = store_portal_report(demo, facts=NOT_HELD)
    _take_from_handler(demo, other)
    handler = as_role("handler")
    handler.get(f"/cases/{held.submission_id}")
    assert handler.post(f"/cases/{held.submission_id}/notes", {"note": IN_NOTE}).status_code == 303
    return handler, held.submission_id, kazakh.submission_id


def test_finds_a_report_a_follow_up_and_a_note_of_held_cases_only(
    demo: DemoInstance, cases: tuple[Browser, str, str]
) -> None:
    handler, held, _kazakh = cases
    for marker in ("9d41", "9d42", "9d43"):
        status, page = _find(handler, marker)
        assert status == 200
        assert f"/cases/{held}" in page and marker in page, marker
        assert "Results: 1<" in page
    status, page = _find(handler, "9d44")
    results = page.split('id="results-h"', 1)[1]
    assert status == 200 and "9d44" not in results and "/cases/" not in results
    assert "Nothing found" in page
    assert "тайна" not in page
    # A match in a case and its excerpt: escaped, with the match marked.
    status, page = _find(handler, "откат")
    assert "<mark>откат</mark>" in page
    assert [e.details for e in audit_entries(demo, "case.search")][-2:] == [
        {"results": 0},
        {"results": 1},
    ]


@pytest.mark.parametrize(
    ("typed", "marker"),
    [
        ("ержан", "9d41"),  # ё typed as е
        ("ЁРЖАН", "9d41"),
        ("кызметкер уйинде", "9d45"),  # Kazakh letters typed on a Russian keyboard
        ("ОНИРЛИК АКИМДИКТИН", "9d45"),
        ("кужаттарын устаган", "9d45"),
        ("Қызметкер", "9d45"),
    ],
)
def test_letters_match_as_people_type_them(
    cases: tuple[Browser, str, str], typed: str, marker: str
) -> None:
    handler = cases[0]
    status, page = _find(handler, typed)
    assert status == 200 and marker in page, typed


def test_too_short_or_too_long_is_a_clear_message(cases: tuple[Browser, str, str]) -> None:
    handler = cases[0]
    status, page = _find(handler, " к ")
    assert status == 400 and "at least two letters" in page
    status, page = _find(handler, "а" * 201)
    assert status == 400 and "at most 200" in page
    assert _find(handler, "откат", page=99999)[0] == 200


def test_results_are_paged(demo: DemoInstance, as_role: Callable[[str], Browser]) -> None:
    for n in range(23):
        store_portal_report(demo, facts=f"Повторяющийся факт номер {n} 77aa")
    handler = as_role("handler")
    status, first = _find(handler, "77aa")
    assert status == 200 and "Results: 23<" in first and first.count("<mark>") == 20
    assert "Page 1 of 2" in first
    status, second = _find(handler, "77aa", page=2)
    assert second.count("<mark>") == 3


def _grep(root: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path}: {n!r}" for n in needles if n in data]
    return found


def test_no_trace_of_the_words_or_the_text_after_a_search(
    demo: DemoInstance,
    cases: tuple[Browser, str, str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    handler = cases[0]
    words = ["потребовал откат", "вокзала", "договоры поставки", "өңірлік"]
    caplog.set_level(logging.DEBUG)
    for query in words:
        assert _find(handler, query)[0] == 200
    needles = [w.encode() for w in words]
    needles += [t.encode() for t in (IN_REPORT, IN_FOLLOW_UP, IN_NOTE, KAZAKH, "откат")]
    # Every file under the instance folder (the SQLite database and its WAL among them) and
    # anything the test wrote next to it.
    demo.engine.dispose()
    assert not _grep(demo.path, needles)
    assert not _grep(tmp_path, needles)
    # Every row of every table, on SQLite and PostgreSQL alike.
    with demo.sessions() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)):
                text = repr(tuple(row)).encode()
                text += " ".join(str(v) for v in row if isinstance(v, str)).encode()
                for needle in needles:
                    assert needle not in text, (table.name, needle)
    # No log line of any logger.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for word in words:
        assert word not in logged
    # The audit says that a search happened and how many results, never the words.
    entries = audit_entries(demo, "case.search")
    assert len(entries) == len(words)
    assert all(set(e.details) == {"results"} and e.target is None for e in entries)
