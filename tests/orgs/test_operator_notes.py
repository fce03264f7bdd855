"""Law review of issue 13, findings on the operator's organization page: deactivating lists
the organizations it cuts off (finding 8), an organization nobody can read a report for is
flagged (finding 2), and the move section says the new superior body sees the past counts
(finding 11)."""

from __future__ import annotations

import html

from sqlalchemy import select

from store.models import Organization
from tests.support.backoffice import Browser
from tests.support.instance import DemoInstance, demo_org_id
from tests.support.orgs import NEW_ORGANIZATION_FORM

NEW = NEW_ORGANIZATION_FORM
CUT_OFF = {
    "en": "will disappear from the portal's tree",
    "ru": "Подведомственные ей органы и организации исчезнут из дерева портала, а их работники не "
    "смогут направить сообщение в вышестоящий орган, пока вы не перенесёте эти органы и "
    "организации под действующий орган.",
    "kk": "Оған ведомстволық бағынысты органдар мен ұйымдар портал ағашынан жоғалады, ал сіз "
    "оларды белсенді органның астына ауыстырмайынша, олардың қызметкерлері хабарламаны жоғары "
    "тұрған органға жібере алмайды.",
}


def _create(operator: Browser, **changes: str) -> None:
    assert operator.post("/operator/new", {**NEW, **changes}).status_code == 200


def _page(operator: Browser, slug: str) -> str:
    return html.unescape(operator.get(f"/operator/{slug}").get_data(as_text=True))


def test_deactivating_lists_the_organizations_it_cuts_off(
    demo: DemoInstance, operator: Browser
) -> None:
    _create(operator)
    _create(operator, slug="district", name_en="District akimat", parent="akimat-astana")
    _create(operator, slug="village", name_en="Village akimat", parent="district")
    _create(operator, slug="closed", name_en="Closed akimat", parent="akimat-astana")
    assert operator.post("/operator/closed/deactivate", {}).status_code == 303
    page = _page(operator, "akimat-astana")
    deactivate = page[page.index('id="deactivate-h"') :]
    assert CUT_OFF["en"] in deactivate
    assert "District akimat" in deactivate and "Village akimat" in deactivate
    assert "Closed akimat" not in deactivate  # already deactivated: nothing more to cut off
    # Nothing below: no warning.
    assert CUT_OFF["en"] not in _page(operator, "village")
    for lang in ("ru", "kk"):
        operator.get(f"/lang/{lang}")
        assert CUT_OFF[lang] in _page(operator, "akimat-astana")
    with demo.sessions() as s:
        assert s.scalars(select(Organization.active).where(Organization.slug == "district")).one()


NO_READERS = {
    "en": "The organization has no head and no person authorized to receive reports",
    "ru": "У организации нет ни руководителя, ни лица, уполномоченного на приём обращений: портал "
    "её не предлагает",
    "kk": "Ұйымның басшысы да, өтініштерді қабылдауға уәкілетті адамы да жоқ: портал оны ұсынбайды",
}


def test_an_organization_nobody_can_read_for_is_flagged(
    demo: DemoInstance, operator: Browser
) -> None:
    """Finding 2: an organization with no active head key (only its offline recovery key) is
    marked on the operator's page; the demo organization, with its head, is not."""
    _create(operator)
    with demo.sessions() as s:
        demo_slug = s.scalars(
            select(Organization.slug).where(Organization.id == demo_org_id(s))
        ).one()
    for lang, warning in NO_READERS.items():
        operator.get(f"/lang/{lang}")
        assert warning in _page(operator, "akimat-astana")
        assert warning not in _page(operator, demo_slug)


MOVE_NOTE = {
    "en": "the new superior body sees in its statistics all the reports it and the organizations",
    "ru": "новый вышестоящий орган увидит в своей статистике все сообщения",
    "kk": "жаңа жоғары тұрған орган өз статистикасында",
}


def test_the_move_section_says_the_past_counts_go_along(operator: Browser) -> None:
    """Finding 11: moving gives the new superior body all the moved organization's past counts."""
    _create(operator)
    for lang, note in MOVE_NOTE.items():
        operator.get(f"/lang/{lang}")
        page = _page(operator, "akimat-astana")
        assert note in page[page.index('id="move-h"') :]
