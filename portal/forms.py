"""The portal's forms. Labels and messages are lazy strings, translated when rendered."""

from __future__ import annotations

import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

# About 50 pages. portal.uploads reads at most MAX_FIELD_BYTES of a field, more than any text
# within this limit can take in UTF-8, so a field it had to cut always fails this check.
LONG_TEXT = 100_000
MEDIUM_TEXT = 5_000
SHORT_TEXT = 300
NONCE_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


def _too_long(limit: int) -> Length:
    check = Length(
        max=limit, message=_l("This field is too long (at most %(max)d characters).", max=limit)
    )
    # No maxlength attribute in the page: a browser cuts pasted text at it without a word, and
    # the reporter never learns that the end of the report was not sent. The server says so.
    check.field_flags = {}
    return check


class _CutAware(FlaskForm):
    def mark_cut(self, name: str | None) -> None:
        """Show the length error on a field the upload parser had to cut (uploads.FieldTooLarge)."""
        field = self._fields.get(name) if name else None
        if field is not None:
            field.validate(self)


class ReportForm(_CutAware):
    # Where the report goes (an installation of several organizations): the organization whose
    # form this is, and that one or its superior body (p4). Checked by cases.directory, not
    # here: the choices are the tree's, read when the form is shown and again when it arrives.
    org = HiddenField()
    to = RadioField(_l("Where the report goes"), choices=[], validate_choice=False)
    # Appendix 1: short description of the offence (facts, persons, subject) ...
    facts = TextAreaField(
        _l("What happened"),
        validators=[
            DataRequired(message=_l("Describe what happened: this field is required.")),
            _too_long(LONG_TEXT),
        ],
    )
    persons = TextAreaField(_l("Who was involved"), validators=[Optional(), _too_long(MEDIUM_TEXT)])
    subject = TextAreaField(
        _l("Subject of the offence"), validators=[Optional(), _too_long(MEDIUM_TEXT)]
    )
    # ... position and unit of the person concerned, and when and where.
    position = StringField(
        _l("Position of the person concerned"), validators=[Optional(), _too_long(SHORT_TEXT)]
    )
    unit = StringField(
        _l("Unit of the person concerned"), validators=[Optional(), _too_long(SHORT_TEXT)]
    )
    when = StringField(_l("When it happened"), validators=[Optional(), _too_long(SHORT_TEXT)])
    where = StringField(_l("Where it happened"), validators=[Optional(), _too_long(SHORT_TEXT)])
    # Appendix 2: the reporter's own details, only with explicit consent.
    full_name = StringField(_l("Your full name"), validators=[Optional(), _too_long(SHORT_TEXT)])
    own_position = StringField(_l("Your position"), validators=[Optional(), _too_long(SHORT_TEXT)])
    own_unit = StringField(_l("Your unit"), validators=[Optional(), _too_long(SHORT_TEXT)])
    consent = BooleanField(
        # p14, Appendix 2: the head of the body the report is sent to, whichever it is (p4).
        _l(
            "I agree that the head of the state body (organization) to which I am sending the "
            "report may access these details about me and include them in the written "
            "confirmation sent to the Anti-Corruption Service of the National Security Committee."
        )
    )
    nda = BooleanField(_l("I intend to sign a non-disclosure agreement about my report."))
    acknowledge = BooleanField(
        _l(
            "I understand that knowingly false information about a corruption offence carries "
            "liability under the laws of the Republic of Kazakhstan."
        ),
        validators=[DataRequired(message=_l("Please confirm that you have read this."))],
    )
    nonce = HiddenField(validators=[Regexp(NONCE_PATTERN)])

    def identity(self) -> dict[str, str] | None:
        values = {
            "full_name": (self.full_name.data or "").strip(),
            "position": (self.own_position.data or "").strip(),
            "unit": (self.own_unit.data or "").strip(),
        }
        return values if any(values.values()) else None

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.identity() is not None and not self.consent.data:
            self.consent.errors = [
                *self.consent.errors,
                _l(
                    "To send your details, tick the consent box, or clear your details to stay "
                    "anonymous."
                ),
            ]
            ok = False
        elif self.consent.data and self.identity() is None:
            self.full_name.errors = [
                *self.full_name.errors,
                _l("You gave consent but no details: enter at least your name, or untick the box."),
            ]
            ok = False
        return ok

    def report_fields(self) -> dict[str, str]:
        return {
            name: (getattr(self, name).data or "").strip()
            for name in ("facts", "persons", "subject", "position", "unit", "when", "where")
        }

    def ensure_nonce(self) -> None:
        """A per-form random value: a reloaded POST of a report already sent is recognised."""
        if not self.nonce.data or not self.nonce.validate(self):
            self.nonce.data = secrets.token_urlsafe(24)


class LoginForm(FlaskForm):
    code = StringField(
        _l("Receipt code"),
        validators=[
            DataRequired(message=_l("Enter the 20 digits of your receipt code.")),
            Length(max=200, message=_l("A receipt code has 20 digits.")),
        ],
    )
    # A follow-up typed while the mailbox session expired travels back through the login, so
    # it is not lost; it is offered again in the reply form after logging in.
    draft = TextAreaField(
        _l("Your follow-up that was not sent yet"), validators=[Optional(), _too_long(LONG_TEXT)]
    )


class FollowUpForm(_CutAware):
    text = TextAreaField(_l("Your follow-up"), validators=[Optional(), _too_long(LONG_TEXT)])


class LogoutForm(FlaskForm):
    pass
