"""p5.3 names the channel «электронный канал или в форме видеоконференцсвязи» (e-mail, secure
or not, or a mobile application). The back office's channel list uses that term, not a
"messenger" the text does not name, in every language."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.backoffice import Browser

SAYS = [
    ("en", "Electronic channel or video conference (p5.3)", "messenger"),
    ("ru", "Электронный канал или видеоконференцсвязь (п. 5.3)", "мессенджер"),
    ("kk", "Электрондық арна немесе бейнеконференцбайланыс (5.3-т.)", "мессенджер"),
]


@pytest.mark.parametrize(("lang", "name", "gone"), SAYS)
def test_p5_3_channel_keeps_the_text_term(
    as_role: Callable[[str], Browser], lang: str, name: str, gone: str
) -> None:
    handler = as_role("handler")
    handler.get(f"/lang/{lang}")
    page = handler.get("/register").get_data(as_text=True)
    assert name in page
    assert gone not in page.lower()
