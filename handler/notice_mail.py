"""The text of the mails the back office sends: notices (adal notify) and address codes.

Plain text in the recipient's language. A notice says what kind of thing waits, how many, for
which organization, and where to sign in: never report content, case facts, names, the channel,
a time or a case id (DESIGN.md "Notifications"). The strings are in the back office's catalogue
(marked with N_ for extraction) and translated here without a request, since the worker has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from web.i18n import DEFAULT_LANGUAGE, LANGUAGES

CATALOGUE = Path(__file__).parent / "translations"


def N_(message: str) -> str:
    return message


# In the order a mail lists them.
LINES: Mapping[str, str] = {
    "new_report": N_("New reports: %(n)d"),
    "follow_up": N_("New messages from reporters: %(n)d"),
    "unopened": N_("Reports still unopened after their day of receipt: %(n)d"),
    "deadline_overdue": N_("Deadlines missed: %(n)d"),
    "deadline_today": N_("Deadlines due today: %(n)d"),
    "deadline_tomorrow": N_("Deadlines due tomorrow: %(n)d"),
    "protection_ending": N_("Protection periods ending within 30 days: %(n)d"),
}
SUBJECT = N_("Adal: there is something for you in the back office")
INTRO = N_("In the back office of %(organization)s:")
INTRO_PLAIN = N_("In the back office:")
SIGN_IN = N_("Sign in to see it: %(url)s")
WHY_SO_SHORT = N_(
    "This mail names no report, case or person, on purpose. You choose which notices you receive "
    "on your notification settings page in the back office."
)
CODE_SUBJECT = N_("Adal: confirm your e-mail address")
CODE_BODY = N_(
    "Your confirmation code is %(code)s. Type it on your notification settings page in the "
    "back office within %(minutes)d minutes. If you did not ask for it, tell your administrator."
)


@cache
def _translations(lang: str) -> NullTranslations:
    return Translations.load(str(CATALOGUE), [lang], "messages")


def _gettext(lang: str, message: str) -> str:
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    return _translations(lang).gettext(message)


def notice(lang: str, organization: str, counts: Mapping[str, int], url: str) -> tuple[str, str]:
    """Subject and body of one user's mail for one pass."""
    lines = [
        _gettext(lang, INTRO) % {"organization": organization}
        if organization
        else _gettext(lang, INTRO_PLAIN),
        "",
    ]
    lines += [
        "- " + _gettext(lang, text) % {"n": counts[kind]}
        for kind, text in LINES.items()
        if counts.get(kind)
    ]
    lines += ["", _gettext(lang, SIGN_IN) % {"url": url}, "", _gettext(lang, WHY_SO_SHORT)]
    return _gettext(lang, SUBJECT), "\n".join(lines) + "\n"


def confirmation(lang: str, code: str, minutes: int) -> tuple[str, str]:
    return _gettext(lang, CODE_SUBJECT), _gettext(lang, CODE_BODY) % {
        "code": code,
        "minutes": minutes,
    } + "\n"
