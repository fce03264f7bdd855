"""The reporter's mailbox: log in with the receipt code, read the thread, reply, log out.

The mailbox private key exists only in the encrypted server-side session (web.sessions): at
most 20 idle minutes, destroyed by logout. It is never in a cookie, a log or a table.

What the reporter can read: the case's status, the handlers' messages (sealed to the mailbox
key by the back office), and their own follow-ups, which the portal seals to the mailbox key
too (besides the case's holders) so the reporter sees both sides of the conversation. The
report itself and all files stay sealed to staff only: someone who later learns the code sees
the conversation, not the report or its evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.wrappers import Response

from cases.messages import write_message
from crypto import receipt
from crypto.errors import CryptoError
from crypto.keys import PrivateKey
from portal import receipts, uploads
from portal.errors import answer_refusal, error_page, refusal_status, refusal_text
from portal.forms import FollowUpForm, LoginForm, LogoutForm
from portal.receive import receive_form, token_valid
from rules.clock import local_date, utcnow
from store import payloads
from store.models import Attachment, Envelope, Mailbox, Message, Submission
from store.recipients import holders
from store.sealing import open_body
from web.database import db
from web.extensions import sessions
from web.i18n import remember_language, switch_language
from web.sessions import regenerate

bp = Blueprint("mailbox", __name__)

KEY = "mailbox_key"
MAILBOX_ID = "mailbox_id"
DRAFT = "draft"
NOTICE = "notice"


@dataclass
class ThreadItem:
    from_reporter: bool
    on: date
    text: str | None  # None: this message does not open with the mailbox key
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class OpenMailbox:
    mailbox: Mailbox
    submission: Submission
    private_key: PrivateKey


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status, mimetype="text/html")


def _current(database: Session) -> OpenMailbox | None:
    """The logged-in mailbox, or None (and a cleared session if it no longer matches)."""
    raw_key, mailbox_id = session.get(KEY), session.get(MAILBOX_ID)
    if not isinstance(raw_key, bytes) or not isinstance(mailbox_id, str):
        return None
    mailbox = database.get(Mailbox, mailbox_id)
    private_key = PrivateKey(raw_key)
    submission = database.execute(
        select(Submission).where(Submission.mailbox_id == mailbox_id)
    ).scalar_one_or_none()
    if mailbox is None or submission is None or bytes(private_key.public_key) != mailbox.public_key:
        session.clear()
        return None
    return OpenMailbox(mailbox, submission, private_key)


def _thread(database: Session, opened: OpenMailbox) -> list[ThreadItem]:
    messages = database.execute(
        select(Message)
        .where(Message.submission_id == opened.submission.id)
        .order_by(Message.id)
        .options(selectinload(Message.envelope).selectinload(Envelope.grants))
    ).scalars()
    items: list[ThreadItem] = []
    for message in messages:
        item = ThreadItem(message.direction == "from_reporter", message.created_on, None)
        try:
            data = open_body(message.envelope, opened.private_key, expect="message")
        except (CryptoError, ValueError):
            items.append(item)
            continue
        item.text = payloads.message_text(data)
        try:
            meta = payloads.decode(data, payloads.MESSAGE_FORMAT).get("attachments", [])
            item.attachments = [a for a in meta if isinstance(a, dict)]
        except payloads.PayloadError:
            pass
        items.append(item)
    return items


def _report_file_count(database: Session, submission: Submission) -> int:
    return int(
        database.execute(
            select(func.count())
            .select_from(Attachment)
            .where(Attachment.submission_id == submission.id, Attachment.message_id.is_(None))
        ).scalar_one()
    )


LANGUAGE_FORM = ("reply-form", "mailbox.in_language")


@bp.post("/mailbox/language/<code>")
def in_language(code: str) -> Response:
    """The mailbox again in another language, with the follow-up typed so far (files
    excepted). Nothing is stored; without a valid token (another site may post here) the
    mailbox is not shown, only the login with the text kept."""
    switch_language(code)
    form = FollowUpForm(formdata=request.form)
    opened = _current(db()) if token_valid() else None
    if opened is not None:
        page = _mailbox_page(opened, form, files_dropped=any(request.form.getlist("files")))
    elif MAILBOX_ID in session:
        # Still logged in: only the page's token had expired, not the mailbox.
        page = _expired(
            form,
            _l(
                "This page had expired, so your mailbox was not opened again. Your follow-up is "
                "kept below: enter your receipt code to open the mailbox and send the follow-up."
            ),
        )
    else:
        page = _expired(form)
    return remember_language(page, code)


def _mailbox_page(
    opened: OpenMailbox,
    form: FollowUpForm,
    status: int = 200,
    notice: object | None = None,
    error: object | None = None,
    files_dropped: bool = False,
) -> Response:
    database = db()
    return _page(
        "portal/mailbox.html",
        status,
        mailbox=opened.mailbox,
        submission=opened.submission,
        thread=_thread(database, opened),
        report_files=_report_file_count(database, opened.submission),
        form=form,
        logout_form=LogoutForm(formdata=None),
        notice=notice,
        error=error,
        files_dropped=files_dropped,
        statuses=payloads.MAILBOX_STATUSES,
        language_form=LANGUAGE_FORM,
    )


def _login_page(form: LoginForm, status: int = 200, error: object | None = None) -> Response:
    form.code.data = ""  # the code is a secret: never echoed back into a page
    return _page("portal/login.html", status, form=form, error=error)


@bp.get("/mailbox")
def view() -> Response:
    opened = _current(db())
    if opened is None:
        return _login_page(LoginForm(formdata=None))
    form = FollowUpForm(formdata=None)
    form.text.data = session.pop(DRAFT, None) or ""
    notice = _l("Your follow-up was sent.") if session.pop(NOTICE, None) == "sent" else None
    return _mailbox_page(opened, form, notice=notice)


def _wrong_code(form: LoginForm, message: object) -> Response:
    # Announced at the top (role=alert) and tied to the field itself, so a screen reader that
    # lands on the code field hears that it is invalid and why (aria-invalid, -describedby).
    form.code.errors = [*form.code.errors, message]
    return _login_page(form, 422, message)


@bp.post("/mailbox/login")
def login() -> Response:
    # Only text fields: a file part under a field's name must be a validation error, not a 500.
    form = LoginForm(formdata=request.form)
    if not form.validate():
        return _login_page(form, 422)
    try:
        code = receipt.normalize(form.code.data or "")
    except receipt.ReceiptChecksumError:
        # Caught before any expensive work: the check digit says this is a typo.
        return _wrong_code(
            form,
            _l(
                "This code has a typing error: check the digits against "
                "your note and enter it again."
            ),
        )
    except receipt.ReceiptFormatError:
        return _wrong_code(
            form,
            _l(
                "A receipt code is 20 digits, for example "
                "1234 5678 9012 3456 7890. Check it and try again."
            ),
        )
    opened = receipts.open_code(code)
    mailbox = (
        db()
        .execute(select(Mailbox).where(Mailbox.lookup_tag == opened.secrets.lookup_tag))
        .scalar_one_or_none()
    )
    if mailbox is None or mailbox.public_key != opened.public_key:
        # The same answer whether no such code exists or it is wrong: a guesser learns nothing.
        return _wrong_code(
            form,
            _l(
                "No mailbox opens with this code. Check the digits; if "
                "they are right, the code may have been mistyped when you "
                "wrote it down."
            ),
        )
    draft = (form.draft.data or "").strip()
    session.clear()
    regenerate(session)
    session[MAILBOX_ID] = mailbox.id
    session[KEY] = bytes(opened.private_key)
    if draft:
        session[DRAFT] = draft
    return redirect(url_for("mailbox.view"), code=303)  # type: ignore[return-value]


def _expired(form: FollowUpForm, why: object | None = None) -> Response:
    login = LoginForm(formdata=None)
    login.draft.data = (form.text.data or "").strip()
    return _login_page(
        login,
        400,
        why
        or _l(
            "Your mailbox was closed after 20 minutes without activity, so your follow-up "
            "was not sent. It is kept below: enter your receipt code and send it again."
        ),
    )


@bp.post("/mailbox/reply")
def reply() -> Response:
    opened = _current(db())
    db().rollback()  # end the read transaction: the write below uses its own
    today = local_date(utcnow())
    recipients: list[bytes] = []
    if opened is not None:
        recipients = holders(db(), opened.submission.report_envelope_id)
        db().rollback()
    try:
        with receive_form(recipients, today, files_allowed=opened is not None) as received:
            form = FollowUpForm(formdata=received.fields)
            text = (form.text.data or "").strip()
            if opened is None:
                return _expired(form)
            if not received.csrf_ok:
                return _mailbox_page(
                    opened,
                    form,
                    400,
                    error=_l(
                        "This form had expired, so your follow-up was not sent. It is below: press "
                        "Send again."
                    ),
                )
            if not form.validate() or not (text or received.stored):
                error = None if form.errors else _l("Write a follow-up or attach a file.")
                return _mailbox_page(
                    opened, form, 422, error=error, files_dropped=bool(received.stored)
                )
            with sessions()() as database, database.begin():
                submission = database.get(Submission, opened.submission.id)
                write_message(
                    database,
                    submission,
                    direction="from_reporter",
                    text=text,
                    holder_keys=recipients,
                    sent_at=utcnow(),
                    today=today,
                    files=received.stored,
                )
            received.keep()
    except uploads.UploadRefused as refused:
        form = FollowUpForm(formdata=refused.fields)
        form.mark_cut(refused.cut)
        if opened is None:
            return answer_refusal(refused, _expired(form))
        return answer_refusal(
            refused,
            _mailbox_page(
                opened,
                form,
                refusal_status(refused),
                error=refusal_text(refused),
                files_dropped=True,
            ),
        )
    session[NOTICE] = "sent"
    return redirect(url_for("mailbox.view"), code=303)  # type: ignore[return-value]


@bp.post("/mailbox/logout")
def logout() -> Response:
    LogoutForm()  # CSRFProtect has checked the token already
    session.clear()
    return _page("portal/logged_out.html")


def install_csrf_handler(app: Any) -> None:
    """Expired or missing tokens on the small forms: answer with the form again, not an error."""

    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError) -> Response:
        if request.endpoint == "mailbox.logout":
            # Leaving must always work; a forged logout harms nobody.
            session.clear()
            return _page("portal/logged_out.html")
        if request.endpoint == "mailbox.login":
            form = LoginForm(formdata=request.form)
            return _login_page(form, 400, _l("The page had expired. Please enter your code again."))
        return error_page(
            400, _l("The page had expired"), _l("Please go back, reload the page and try again.")
        )
