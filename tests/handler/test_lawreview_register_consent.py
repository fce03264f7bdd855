"""p11 (5), p14, Appendix 2 on the register form: ticking a box while registering a report from
another channel is not the reporter's written consent. The box says "consented"; its help says
that the signed Appendix 2 is written consent and that a head records it on the case."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.backoffice import Browser

SAYS = [
    (
        "en",
        "The reporter consented to access to information about them",
        "The reporter gave written consent",
        "A signed Appendix 2 is written consent",
    ),
    (
        "ru",
        "Работник дал согласие на доступ к информации о себе",
        "Работник дал письменное согласие",
        "Письменным согласием является подписанное Приложение 2",
    ),
    (
        "kk",
        "Қызметкер өзі туралы ақпаратқа қол жеткізуге келісім берді",
        "жазбаша келісім берді",
        "Жазбаша келісім — қол қойылған 2-қосымша",
    ),
]


@pytest.mark.parametrize(("lang", "box", "gone", "help_text"), SAYS)
def test_register_consent_box_is_not_written_consent(
    as_role: Callable[[str], Browser], lang: str, box: str, gone: str, help_text: str
) -> None:
    handler = as_role("handler")
    handler.get(f"/lang/{lang}")
    page = handler.get("/register").get_data(as_text=True)
    assert box in page
    assert gone not in page
    assert help_text in page
