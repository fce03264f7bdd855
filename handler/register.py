"""Registering a report that arrived through another channel (p5.1-p5.4, p5.6).

The handler types what Appendix 1 needs and attaches the files (for a hotline call, the
recording, p5.4); cases.intake.submit_report seals and stores it exactly like a portal report,
and registers its case, in one transaction. That runs only after the whole form has been
checked, so a refused form leaves nothing behind.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from cases.attachments import MAX_FILES, Upload
from cases.intake import TYPED_FIELDS, Registration, ReportInput, submit_report
from handler.forms import RegisterForm
from handler.gate import CASE_ROLES, allow, current_user
from rules.clock import KZ_TZ, local_date
from store import audit
from web.database import db

bp = Blueprint("register", __name__)

# Receipt times come from a person's note; a few minutes ahead is a wrong wall clock, more is
# a typo that would put the report in the future.
CLOCK_SLACK = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def _clean(value: str | None) -> str:
    return (value or "").strip()


@bp.route("/register", methods=["GET", "POST"])
@allow(*CASE_ROLES)
def register() -> Response | tuple[str, int] | str:
    form = RegisterForm()
    if request.method == "GET":
        form.received_by.data = current_user().full_name
        return render_template("handler/register.html", form=form)
    valid = form.validate()
    now = datetime.now(UTC)
    received_at = None
    if form.received_at.data is not None:
        received_at = form.received_at.data.replace(tzinfo=KZ_TZ).astimezone(UTC)
        if not EARLIEST <= received_at <= now + CLOCK_SLACK:
            form.received_at.errors = [
                _("Enter the real time of receipt: not in the future and not before the year 2000.")
            ]
            valid = False
    uploads = [
        Upload(f.filename or "file", f.mimetype or "", f.stream)
        for f in (form.files.data or [])
        if getattr(f, "filename", None)
    ]
    if len(uploads) > MAX_FILES:
        form.files.errors = [_("No more than %(n)d files at a time.", n=MAX_FILES)]
        valid = False
    if not valid or received_at is None:
        return render_template("handler/register.html", form=form), 400
    identity_fields = {
        "full_name": _clean(form.full_name.data),
        "position": _clean(form.reporter_position.data),
        "unit": _clean(form.reporter_unit.data),
    }
    identity = identity_fields if any(identity_fields.values()) else None
    fields = {name: _clean(getattr(form, name).data) for name in TYPED_FIELDS}
    database = db()
    user = current_user()
    report = ReportInput(
        fields=fields,
        identity=identity,
        consent=bool(form.consent.data) and identity is not None,
        nda_intended=bool(form.nda_intended.data),
    )
    if user.org_id is None:
        abort(403)  # the operator belongs to no organization and registers no report
    submission = submit_report(
        database,
        org_id=user.org_id,
        channel=form.channel.data or "",
        report=report,
        received_at=received_at,
        today=local_date(now),
        registration=Registration(user, now),
        uploads=uploads,
    )
    audit.append(
        database,
        "report.register",
        actor=user.username,
        org_id=user.org_id,
        target=submission.id,
        details={
            "channel": submission.channel,
            "files": len(uploads),
            "identity": identity is not None,
        },
    )
    database.commit()
    flash(_("The report is registered and sealed."))
    return redirect(url_for("cases.case", submission_id=submission.id), code=303)
