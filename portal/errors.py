"""Error pages: every refusal is a translated page of our own, never a stack trace or a reset.

4xx pages explain what to do next; the 500 page logs only the exception's type and frames
(portal.logs). KdfBusy answers 503 with Retry-After; so does an installation without keys.
"""

from __future__ import annotations

from flask import Flask, render_template
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from cases.attachments import MAX_FILES
from portal import uploads
from portal.extensions import portal_config
from portal.kdf_queue import RETRY_AFTER_SECONDS, KdfBusy
from portal.receive import drain_after
from portal.sizes import filesize
from store.recipients import NoRecipients
from web import connection

_PAGES = {
    400: (
        _l("The request could not be read"),
        _l(
            "Something in what your browser sent could not be read. Go back, check the form "
            "and try again."
        ),
    ),
    403: (_l("Not allowed"), _l("This page cannot be opened this way.")),
    404: (
        _l("Page not found"),
        _l(
            "There is no such page. Use the links above; the language can be chosen there "
            "too: Kazakh, Russian or English."
        ),
    ),
    405: (_l("Not allowed"), _l("This page cannot be opened this way.")),
    413: (
        _l("Too much data"),
        _l(
            "What you sent is larger than this portal accepts. Nothing was stored. "
            "Send fewer or smaller files, or describe the rest in words."
        ),
    ),
    500: (
        _l("Something went wrong"),
        _l(
            "The portal could not complete your request. Nothing of it was kept in a "
            "readable form. Please try again in a few minutes."
        ),
    ),
    503: (
        _l("The portal is busy"),
        _l("Too many people are using the portal right now. Wait a few seconds and try again."),
    ),
}


def error_page(code: int, title: object | None = None, text: object | None = None) -> Response:
    default_title, default_text = _PAGES.get(code, _PAGES[400])
    body = render_template(
        "portal/error.html", code=code, title=title or default_title, text=text or default_text
    )
    return Response(body, status=code, mimetype="text/html")


def refusal_status(exc: uploads.UploadRefused) -> int:
    if isinstance(exc, uploads.UploadsBusy):
        return 503
    if isinstance(exc, uploads.UploadTooSlow):
        return 408
    return 400 if isinstance(exc, uploads.FilesNotAccepted) else 413


def answer_refusal(exc: uploads.UploadRefused, page: Response) -> Response:
    """Retry-After and the lingering close, for a page that answers a refused body."""
    if isinstance(exc, uploads.UploadsBusy | uploads.UploadTooSlow):
        if isinstance(exc, uploads.UploadsBusy):
            page.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        # No drain of our own: it would hold the very thread the upload line keeps for the
        # other pages (and a slow sender is what the drain would wait for). gunicorn's
        # closing of the connection lingers briefly instead.
        connection.close_after_response()
        return page
    return drain_after(page)


def refusal_text(exc: uploads.UploadRefused) -> object:
    """Why a body was refused, for the error page or the form that comes back."""
    if isinstance(exc, uploads.UploadsBusy):
        return _l(
            "The portal is receiving many files right now, so yours were not accepted "
            "and nothing was sent yet. Your text is below: attach the files again and "
            "send in a minute."
        )
    if isinstance(exc, uploads.UploadTooSlow):
        return _l(
            "Your connection sent the files too slowly, so they were not accepted and "
            "nothing was sent yet. Your text is below: attach the files again and send, "
            "perhaps fewer or smaller ones, or later on a better connection."
        )
    if isinstance(exc, uploads.FilesNotAccepted):
        return _l(
            "Your files could not be taken with this form, which had expired, so nothing "
            "was sent yet. Your text is below: check it, attach the files again and "
            "press Send."
        )
    if isinstance(exc, uploads.TooManyFiles):
        return lazy_ngettext(
            "One sending takes at most %(num)d file, and you attached more. Nothing was sent "
            "yet. Your text is below: attach one file and press Send; you can send the others "
            "afterwards from your mailbox.",
            "One sending takes at most %(num)d files, and you attached more. Nothing was sent "
            "yet. Your text is below: attach at most %(num)d files and press Send; you can send "
            "the others afterwards from your mailbox.",
            MAX_FILES,
        )
    if isinstance(exc, uploads.FieldTooLarge):
        return _l(
            "A text field is far longer than a form can hold. Nothing was stored. "
            "Shorten the text, or attach it as a file."
        )
    return _l(
        "What you sent is larger than this portal accepts (%(limit)s in one "
        "sending). Nothing was stored. Send fewer or smaller files, or send them "
        "later from your mailbox in several parts.",
        limit=filesize(portal_config().max_upload_bytes),
    )


def install(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        if request_ctx.url_adapter is None:
            # Routing failed (an unusable Host header): no URL can be built for a page.
            return Response("Bad request\n", status=400, mimetype="text/plain")
        code = exc.code or 500
        if code < 400:  # routing redirects (a missing trailing slash) are not errors
            return exc.get_response()
        return error_page(code if code in _PAGES else 400)

    @app.errorhandler(uploads.UploadRefused)
    def _refused(exc: uploads.UploadRefused) -> Response:
        # The report and follow-up forms answer with the form itself (refusal_text); this is
        # for any other route.
        return answer_refusal(exc, error_page(refusal_status(exc), text=refusal_text(exc)))

    @app.errorhandler(uploads.MalformedUpload)
    def _malformed(_exc: uploads.MalformedUpload) -> Response:
        text = _l(
            "The form arrived incomplete or damaged, so nothing was stored. Go back "
            "and send it again."
        )
        return drain_after(error_page(400, text=text))

    @app.errorhandler(KdfBusy)
    def _busy(_exc: KdfBusy) -> Response:
        response = error_page(503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(NoRecipients)
    def _not_ready(_exc: NoRecipients) -> Response:
        response = error_page(
            503,
            _l("The portal is not ready"),
            _l("This portal has not been set up to receive reports yet. Please try again later."),
        )
        response.headers["Retry-After"] = "3600"
        return response

    @app.errorhandler(InternalServerError)
    def _internal(_exc: InternalServerError) -> Response:
        # Already logged by PortalFlask.log_exception, without request data.
        return error_page(500)
