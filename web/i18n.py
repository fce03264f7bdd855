"""Languages: Kazakh (default), Russian, English, chosen by plain links, never guessed.

Accept-Language is ignored on purpose: it is part of a browser's fingerprint and Tor Browser
normalises it anyway. The choice lives in a small `lang` cookie (no session needed, so a
visitor who only reads the landing page leaves no row anywhere). On a page with a half-typed
form, the language buttons post the form to a view that shows it again in the new language
(switch_language, remember_language): a plain link would lose the text.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, current_app, g, redirect, request
from flask_babel import Babel
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map
from werkzeug.wrappers import Response

LANGUAGES = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "kk"
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
COOKIE = "lang"


def current_language() -> str:
    chosen = g.get("adal_language")  # switched in this very request (switch_language)
    lang = chosen or request.cookies.get(COOKIE, "")
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def switch_language(code: str) -> None:
    """This response in `code` (call before anything is translated); remember_language() then
    keeps the choice for the next pages."""
    if code not in LANGUAGES:
        abort(404)
    g.adal_language = code


def remember_language(response: Response, code: str) -> Response:
    # A browser-session cookie: nothing stays behind on the device after the window closes.
    response.set_cookie(
        COOKIE,
        code,
        httponly=True,
        samesite="Strict",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", True),
    )
    return response


def safe_next(target: str | None, routes: Map) -> str:
    """Only a path this app serves: an open redirect would let a link lead a reporter elsewhere.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so "/\t/host"
    would become "//host": another site. Taking only what the app's own routes match, and
    only printable ASCII, leaves no such trick.
    """
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or not all("!" <= c <= "~" for c in target)
        or "\\" in target
    ):
        return "/"
    try:
        routes.bind("portal.invalid").match(target, method="GET")
    except HTTPException:  # no route, another method, or a redirect (merged slashes)
        return "/"
    return target


def install(app: Flask, translations: Path) -> Babel:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(translations)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LANGUAGE
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Almaty"
    babel = Babel(app, locale_selector=current_language)

    @app.get("/lang/<code>")
    def set_language(code: str) -> Response:
        switch_language(code)
        return remember_language(
            redirect(safe_next(request.args.get("next"), app.url_map), code=303), code
        )

    @app.context_processor
    def _languages() -> dict[str, object]:
        return {
            "languages": LANGUAGES,
            "language_names": LANGUAGE_NAMES,
            "current_language": current_language(),
        }

    return babel
