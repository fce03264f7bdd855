"""Law review of issue 13, finding 1: a report sent to the superior body says, on the parent's
case page and in Appendix 1's draft near «подразделение», which subordinate organization it came
from (p11 4), read from the sealed report body's "sent_from_org"."""

from __future__ import annotations

import html
from collections.abc import Callable

from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance

ORIGIN = {
    "slug": "kmfk",
    "name_kk": "Қаржы мониторингі комитеті",
    "name_ru": "Комитет финансового мониторинга",
    "name_en": "Financial Monitoring Committee",
}
SENTENCES = {
    "ru": "Направлено вам как вышестоящему органу со страницы подведомственной организации: "
    "Комитет финансового мониторинга",
    "kk": "Сізге жоғары тұрған орган ретінде мына ведомстволық бағынысты ұйымның бетінен "
    "жіберілді: Қаржы мониторингі комитеті",
    "en": "Sent to you as the superior body from the page of a subordinate organization: "
    "Financial Monitoring Committee",
}


def test_the_parent_sees_where_the_report_came_from(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(demo, extra={"sent_from_org": ORIGIN}).submission_id
    handler = as_role("handler")
    for lang, sentence in SENTENCES.items():
        handler.get(f"/lang/{lang}")
        page = html.unescape(handler.get(f"/cases/{sid}").get_data(as_text=True))
        assert sentence in page
        assert "sent_from_org" not in page  # shown as the sentence, not as a raw field
    draft = html.unescape(handler.get(f"/cases/{sid}/appendix1").get_data(as_text=True))
    assert "отдел закупок, Комитет финансового мониторинга" in draft


def test_a_report_to_its_own_organization_says_nothing_of_it(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    facts = "The head of procurement asked for a bribe, 7e1d."
    sid = store_portal_report(demo, facts=facts).submission_id
    handler = as_role("handler")
    handler.get("/lang/en")
    response = handler.get(f"/cases/{sid}")
    # The control: the case page itself, opened and read, so that the sentence's absence is
    # the page's and not an error page's.
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert facts in page and sid in page
    assert "as the superior body" not in page
