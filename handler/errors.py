"""Error pages: a short, translated explanation and the right status, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger("adal.handler")

MESSAGES = {
    400: _l("The request could not be used. Go back, check the form and try again."),
    401: _l("Please sign in."),
    403: _l("Your account may not open this page."),
    404: _l("There is no such page, or it is not available to your account."),
    405: _l("This page cannot be used that way."),
    413: _l("The upload is too large."),
    500: _l("Something went wrong on our side. Nothing was saved; please try again."),
}
CSRF_MESSAGE = _l(
    "This form has expired or did not come from this site. Reload the page and submit it again."
)


def install(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError) -> tuple[str, int]:
        return render_template("handler/error.html", code=400, message=CSRF_MESSAGE), 400

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[str, int]:
        if request_ctx.url_adapter is None:
            # Routing failed (an unusable Host header): no URL can be built for a page.
            return "Bad request\n", 400
        code = exc.code or 500
        message = MESSAGES.get(code, MESSAGES[400] if code < 500 else MESSAGES[500])
        return render_template("handler/error.html", code=code, message=message), code

    if app.testing:
        return  # tests see the traceback; "no 5xx" is then a test failure, loudly

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[str, int]:
        # The type only: a message or traceback could quote decrypted report text.
        log.error("unhandled %s in the back office", type(exc).__name__)
        return _http(InternalServerError())
