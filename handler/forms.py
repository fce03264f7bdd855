"""Every form of the back office, with bounds on every field (Flask-WTF adds the CSRF token).

Limits are generous for real use and small enough that no field can carry a denial of service;
a longer value is a clear validation error, never a truncation.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FileField,
    IntegerField,
    MultipleFileField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.form import BaseForm
from wtforms.validators import EqualTo, InputRequired, Length, NumberRange, Optional

from cases.retention import MAX_YEARS as RETENTION_MAX
from cases.retention import MIN_YEARS as RETENTION_MIN
from crypto.passwords import MAX_LENGTH as PASSWORD_MAX
from crypto.passwords import MIN_LENGTH as PASSWORD_MIN
from handler.filters import CHANNELS, ROLES
from handler.settings import DEFINITIONS

TEXT_MAX = 20_000
SHORT_MAX = 300
NAME_MAX = 200


class Form(FlaskForm):
    """Flask-WTF hands every field the uploaded files too; here only file fields get them.

    Otherwise a file part sent under a text field's name (say "username") reaches a text
    validator as a FileStorage object, which is a crash instead of a "this field is required".
    """

    class Meta:
        def wrap_formdata(self, form: BaseForm, formdata: Any) -> Any:
            wrapped = super().wrap_formdata(form, formdata)  # type: ignore[misc]
            if not isinstance(wrapped, CombinedMultiDict):
                return wrapped
            text_only = MultiDict(request.form)
            for name, field in form._fields.items():
                if isinstance(field, FileField | MultipleFileField):
                    text_only.setlist(name, request.files.getlist(name))
            return text_only


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[InputRequired(), Length(max=64)])
    password = PasswordField(_l("Password"),
                             validators=[InputRequired(), Length(max=PASSWORD_MAX)])
    code = StringField(
        _l("One-time code"), validators=[Optional(), Length(max=16)],
        description=_l("Six digits from your authenticator app. At your very first sign-in, "
                       "before the app is set up, leave this empty."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class EnrolForm(Form):
    code = StringField(_l("Code shown by the app"),
                       validators=[InputRequired(), Length(max=16)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class PasswordForm(Form):
    current = PasswordField(_l("Current password"),
                            validators=[InputRequired(), Length(max=PASSWORD_MAX)],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(
        _l("New password"),
        validators=[InputRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX,
                    message=_l("Use at least %(min)d characters.", min=PASSWORD_MIN))],
        description=_l("At least %(min)d characters. A long phrase of several words is easy "
                       "to remember and hard to guess; there are no other rules.",
                       min=PASSWORD_MIN),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[InputRequired(), EqualTo("new", message=_l("The two entries differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ReplyForm(Form):
    text = TextAreaField(
        _l("Message to the reporter"),
        validators=[InputRequired(), Length(max=TEXT_MAX)],
        description=_l("Sealed to the reporter's mailbox and to the holders of this case. Do "
                       "not name the reporter or anything that could identify them."),
    )


class GrantForm(Form):
    user_id = SelectField(_l("Share this case with"), validators=[InputRequired()])

    def offer(self, users: list[tuple[int, str]]) -> None:
        self.user_id.choices = [SelectChoice("", _l("Choose a colleague")),
                                *(SelectChoice(str(uid), label) for uid, label in users)]


class RegisterForm(Form):
    """A report received through another channel (p5.1-p5.4, p5.6), Appendix 1 fields."""

    # The empty first option makes the choice explicit: no report lands in a default channel.
    channel = SelectField(_l("Channel"), validators=[InputRequired()],
                          choices=[SelectChoice("", _l("Choose the channel")),
                                   *(SelectChoice(k, v) for k, v in CHANNELS.items()
                                     if k != "portal")])
    received_at = DateTimeLocalField(
        _l("Date and time of receipt"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired()],
        description=_l("Kazakhstan time (UTC+5), as on Appendix 1."),
    )
    received_by = StringField(
        _l("Full name of the person who received it"),
        validators=[InputRequired(), Length(max=NAME_MAX)],
    )
    channel_details = StringField(
        _l("How it was delivered"), validators=[Optional(), Length(max=SHORT_MAX)],
        description=_l("For example \u201ccall to the hotline, recording attached\u201d. "
                       "Nothing that identifies the reporter: that goes in the identity "
                       "block below."),
    )
    facts = TextAreaField(_l("What happened (facts)"),
                          validators=[InputRequired(), Length(max=TEXT_MAX)])
    persons = TextAreaField(_l("Persons involved"),
                            validators=[Optional(), Length(max=TEXT_MAX)])
    subject = TextAreaField(_l("Subject of the offence"),
                            validators=[Optional(), Length(max=TEXT_MAX)],
                            description=_l("Money, property, a service, a decision."))
    position = StringField(_l("Position of the person concerned"),
                           validators=[Optional(), Length(max=SHORT_MAX)])
    unit = StringField(_l("Unit of the person concerned"),
                       validators=[Optional(), Length(max=SHORT_MAX)])
    when = StringField(_l("When it happened"), validators=[Optional(), Length(max=SHORT_MAX)])
    where = StringField(_l("Where it happened"), validators=[Optional(), Length(max=SHORT_MAX)])
    full_name = StringField(_l("Reporter's full name"),
                            validators=[Optional(), Length(max=NAME_MAX)])
    reporter_position = StringField(_l("Reporter's position"),
                                    validators=[Optional(), Length(max=SHORT_MAX)])
    reporter_unit = StringField(_l("Reporter's unit"),
                                validators=[Optional(), Length(max=SHORT_MAX)])
    consent = BooleanField(_l("The reporter gave written consent to access to information "
                              "about them (Appendix 2)"))
    nda_intended = BooleanField(_l("The reporter intends to sign a non-disclosure agreement "
                                   "(p7)"))
    files = MultipleFileField(
        _l("Files"),
        description=_l("The written report, the call recording (p5.4), e-mails. Encrypted "
                       "before they are stored."),
    )


class NewUserForm(Form):
    username = StringField(_l("Username"), validators=[InputRequired(), Length(min=2, max=64)],
                           description=_l("Letters, digits, dot, dash, underscore."))
    full_name = StringField(_l("Full name"),
                            validators=[InputRequired(), Length(max=NAME_MAX)],
                            description=_l("As it is to appear on Appendix 1."))
    role = SelectField(_l("Role"), choices=[SelectChoice("", _l("Choose the role")),
                                            *(SelectChoice(k, v) for k, v in ROLES.items())],
                       validators=[InputRequired()])


def _bounded(key: str) -> list[object]:
    d = DEFINITIONS[key]
    return [InputRequired(), NumberRange(min=d.minimum, max=d.maximum)]


class SettingsForm(Form):
    organization_name = StringField(
        _l("Organization name"),
        validators=[Optional(), Length(max=DEFINITIONS["organization_name"].maximum)],
        description=_l("Printed on Appendix 1."),
    )
    lockout_max_failures = IntegerField(_l("Failed sign-ins before an account is locked"),
                                        validators=_bounded("lockout_max_failures"))
    lockout_minutes = IntegerField(_l("Minutes an account stays locked"),
                                   validators=_bounded("lockout_minutes"))
    # Optional: without a period nothing is ever purged (cases.retention); the lower bound is
    # the 3-year protection, so the page never accepts a number the system would not honour.
    retention_years = IntegerField(
        _l("Years a closed case is kept before it is destroyed"),
        validators=[Optional(), NumberRange(min=RETENTION_MIN, max=RETENTION_MAX)],
        description=_l("At least 3 years (the reporter's protection period). Empty: closed "
                       "cases are kept until a period is set."),
    )
