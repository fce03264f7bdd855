"""Every form of the back office, with bounds on every field (Flask-WTF adds the CSRF token),
and the choice and field labels they share with their pages: views import their forms from
here and define none of their own.

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
    DateField,
    DateTimeLocalField,
    FileField,
    HiddenField,
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

from cases.calendar import DAY_OFF, WORKING_DAY
from cases.calendar import MAX_NOTE as CALENDAR_NOTE_MAX
from cases.mail_address import LANGUAGES as MAIL_LANGUAGES
from cases.mail_address import MAX_LENGTH as ADDRESS_MAX
from cases.notes import MAX_TEXT as CASE_NOTE_MAX
from cases.organizations import NAME_MAX as ORG_NAME_MAX
from cases.organizations import SHORT_NAMES_MAX as ORG_SHORT_MAX
from cases.protection import MAX_TEXT as PROTECTION_TEXT_MAX
from cases.retention import MAX_YEARS as RETENTION_MAX
from cases.retention import MIN_YEARS as RETENTION_MIN
from crypto.passwords import MAX_LENGTH as PASSWORD_MAX
from crypto.passwords import MIN_LENGTH as PASSWORD_MIN
from handler.filters import CHANNELS, ROLES
from handler.messages import CLOSING_REASON_LABELS, DATE_LABELS, OFFENCE_TYPE_LABELS
from handler.settings import DEFINITIONS
from rules.offences import UNDETERMINED
from web.i18n import LANGUAGE_NAMES

TEXT_MAX = 20_000
SHORT_MAX = 300
NAME_MAX = 200
LETTER_BLOCK_MAX = 2000


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
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=PASSWORD_MAX)])
    code = StringField(
        _l("One-time code"),
        validators=[Optional(), Length(max=16)],
        description=_l(
            "Six digits from your authenticator app. At your very first sign-in, "
            "before the app is set up, leave this empty."
        ),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class PasswordForm(Form):
    current = PasswordField(
        _l("Current password"),
        validators=[InputRequired(), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        _l("New password"),
        validators=[
            InputRequired(),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=_l("Use at least %(min)d characters.", min=PASSWORD_MIN),
            ),
        ],
        description=_l(
            "At least %(min)d characters. A long phrase of several words is easy "
            "to remember and hard to guess; there are no other rules.",
            min=PASSWORD_MIN,
        ),
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
        description=_l(
            "Sealed to the reporter's mailbox and to the holders of this case. Do "
            "not name the reporter or anything that could identify them."
        ),
    )


class GrantForm(Form):
    user_id = SelectField(_l("Share this case with"), validators=[InputRequired()])

    def offer(self, users: list[tuple[int, str]]) -> None:
        self.user_id.choices = [
            SelectChoice("", _l("Choose a colleague")),
            *(SelectChoice(str(uid), label) for uid, label in users),
        ]


class HandoverForm(Form):
    """A change of head: the outgoing head gives everything they hold to the incoming one."""

    user_id = SelectField(_l("Incoming head"), validators=[InputRequired()])
    confirm = BooleanField(
        _l("I hand over every case, identity and protection record I hold"),
        validators=[InputRequired()],
    )

    def offer(self, users: list[tuple[int, str]]) -> None:
        self.user_id.choices = [
            SelectChoice("", _l("Choose the incoming head")),
            *(SelectChoice(str(uid), label) for uid, label in users),
        ]


class RegisterForm(Form):
    """A report received through another channel (p5.1-p5.4, p5.6), Appendix 1 fields."""

    # The empty first option makes the choice explicit: no report lands in a default channel.
    channel = SelectField(
        _l("Channel"),
        validators=[InputRequired()],
        choices=[
            SelectChoice("", _l("Choose the channel")),
            *(SelectChoice(k, v) for k, v in CHANNELS.items() if k != "portal"),
        ],
    )
    received_at = DateTimeLocalField(
        _l("Date and time of receipt"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired()],
        description=_l("Kazakhstan time (UTC+5), as on Appendix 1."),
    )
    received_by = StringField(
        _l("Full name of the person who received it"),
        validators=[InputRequired(), Length(max=NAME_MAX)],
    )
    channel_details = StringField(
        _l("How it was delivered"),
        validators=[Optional(), Length(max=SHORT_MAX)],
        description=_l(
            "For example \u201ccall to the hotline, recording attached\u201d. "
            "Nothing that identifies the reporter: that goes in the identity "
            "block below."
        ),
    )
    facts = TextAreaField(
        _l("What happened (facts)"), validators=[InputRequired(), Length(max=TEXT_MAX)]
    )
    persons = TextAreaField(_l("Persons involved"), validators=[Optional(), Length(max=TEXT_MAX)])
    subject = TextAreaField(
        _l("Subject of the offence"),
        validators=[Optional(), Length(max=TEXT_MAX)],
        description=_l("Money, property, a service, a decision."),
    )
    position = StringField(
        _l("Position of the person concerned"), validators=[Optional(), Length(max=SHORT_MAX)]
    )
    unit = StringField(
        _l("Unit of the person concerned"), validators=[Optional(), Length(max=SHORT_MAX)]
    )
    when = StringField(_l("When it happened"), validators=[Optional(), Length(max=SHORT_MAX)])
    where = StringField(_l("Where it happened"), validators=[Optional(), Length(max=SHORT_MAX)])
    full_name = StringField(
        _l("Reporter's full name"), validators=[Optional(), Length(max=NAME_MAX)]
    )
    reporter_position = StringField(
        _l("Reporter's position"), validators=[Optional(), Length(max=SHORT_MAX)]
    )
    reporter_unit = StringField(
        _l("Reporter's unit"), validators=[Optional(), Length(max=SHORT_MAX)]
    )
    consent = BooleanField(
        _l("The reporter consented to access to information about them"),
        description=_l(
            "A signed Appendix 2 is written consent: a head records it, with the "
            "date it was received, on the case's consent page (p11 (5), p14)."
        ),
    )
    nda_intended = BooleanField(_l("The reporter intends to sign a non-disclosure agreement (p7)"))
    files = MultipleFileField(
        _l("Files"),
        description=_l(
            "The written report, the call recording (p5.4), e-mails. Encrypted "
            "before they are stored."
        ),
    )


class NewUserForm(Form):
    username = StringField(
        _l("Username"),
        validators=[InputRequired(), Length(min=2, max=64)],
        description=_l("Letters, digits, dot, dash, underscore."),
    )
    full_name = StringField(
        _l("Full name"),
        validators=[InputRequired(), Length(max=NAME_MAX)],
        description=_l("As it is to appear on Appendix 1."),
    )
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("", _l("Choose the role")),
            # The operator is the platform's, never an organization's (handler/operator.py).
            *(SelectChoice(k, v) for k, v in ROLES.items() if k != "operator"),
        ],
        validators=[InputRequired()],
    )


def _bounded(key: str) -> list[object]:
    d = DEFINITIONS[key]
    return [InputRequired(), NumberRange(min=d.minimum, max=d.maximum)]


class SettingsForm(Form):
    organization_name = StringField(
        _l("Organization name"),
        validators=[Optional(), Length(max=DEFINITIONS["organization_name"].maximum)],
        description=_l(
            "The sender proposed on the official letters (each letter can change it). Empty: "
            "the organization's name in the letter's language, as the platform operator set it."
        ),
    )
    lockout_max_failures = IntegerField(
        _l("Failed sign-ins before an account is locked"),
        validators=_bounded("lockout_max_failures"),
    )
    lockout_minutes = IntegerField(
        _l("Minutes an account stays locked"), validators=_bounded("lockout_minutes")
    )
    # Optional: without a period nothing is ever purged (cases.retention); the lower bound is
    # the 3-year protection, so the page never accepts a number the system would not honour.
    retention_years = IntegerField(
        _l("Years a closed case is kept before it is destroyed"),
        validators=[Optional(), NumberRange(min=RETENTION_MIN, max=RETENTION_MAX)],
        description=_l(
            "At least 3 years (the reporter's protection period). Empty: closed "
            "cases are kept until a period is set."
        ),
    )


# Workflow steps (handler.workflow): one form per step that needs details, a note otherwise.
NOTE_MAX = 2_000
# What an HTML datetime-local field sends; rules.workflow reads it as Kazakhstan time.
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


class NoteForm(Form):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)])


class KnsForm(Form):
    call_time = DateTimeLocalField(
        _l("Time of the 1424 call"),
        format=LOCAL_MINUTE,
        validators=[InputRequired()],
        description=_l("Kazakhstan time."),
    )
    operator = StringField(
        _l("Name of the operator who took the call"), validators=[Optional(), Length(max=NAME_MAX)]
    )
    call_reference = StringField(
        _l("Call reference"),
        validators=[Optional(), Length(max=SHORT_MAX)],
        description=_l("Give the operator's name or the reference."),
    )


class ConfirmationForm(Form):
    outgoing_number = StringField(
        _l("Outgoing number"), validators=[InputRequired(), Length(max=SHORT_MAX)]
    )
    outgoing_date = DateField(_l("Date of the letter"), validators=[InputRequired()])


class OffenceTypeForm(Form):
    # Not "required": the select always has a value, and SelectField refuses anything else.
    offence_type = SelectField(
        _l("Type of offence (p3)"),
        default=UNDETERMINED,
        choices=[SelectChoice(k, v) for k, v in OFFENCE_TYPE_LABELS.items()],
    )


class ClosedWithoutDecisionForm(Form):
    """Closing without the authorised body's decision: a reason and the detail it needs."""

    reason = SelectField(
        _l("Reason"),
        validators=[InputRequired()],
        choices=[
            SelectChoice("", _l("Choose the reason")),
            *(SelectChoice(k, v) for k, v in CLOSING_REASON_LABELS.items()),
        ],
    )
    no_decision_by = DateField(
        _l("No decision had been received by"),
        validators=[Optional()],
        description=_l('For "no decision received": the date by which none had come.'),
    )
    transferred_to = StringField(
        _l("Transferred to"),
        validators=[Optional(), Length(max=SHORT_MAX)],
        description=_l('For "transferred": the body or official who took the case over.'),
    )
    duplicate_of = StringField(
        _l("Duplicate of the case"),
        validators=[Optional(), Length(max=40)],
        description=_l('For "duplicate": the other case\'s number as the inbox shows it.'),
    )


class NdaSignedForm(Form):
    signed_at = DateTimeLocalField(
        _l("Signed at"),
        format=LOCAL_MINUTE,
        validators=[InputRequired()],
        description=_l(
            "Kazakhstan time. The agreement is concluded on form 1 of Appendix 2 to "
            "order No 153 of the Chairman of the Anti-Corruption Agency of 11 May "
            "2023, within twenty-four hours of the employee's report (p7)."
        ),
    )


class NdaDeclinedForm(Form):
    basis = TextAreaField(
        _l("Evidence of the refusal"),
        validators=[InputRequired(), Length(max=NOTE_MAX)],
        description=_l("The written statement, the mailbox message or a note of the conversation."),
    )
    declined_at = DateTimeLocalField(
        _l("Declined at"),
        format=LOCAL_MINUTE,
        validators=[Optional()],
        description=_l("Kazakhstan time."),
    )


class InstructionFields(Form):
    """Added to a head's duty (rules.workflow.HEAD_STEPS) when someone else records it."""

    on_instruction_of = StringField(
        _l("On the instruction of the head (full name)"),
        validators=[InputRequired(), Length(max=NAME_MAX)],
        description=_l(
            "This is the head's duty. Record it only on the head's instruction; "
            "the head's name is kept with the step."
        ),
    )


class InstructedConfirmationForm(ConfirmationForm, InstructionFields):
    pass


class InstructedNdaSignedForm(NdaSignedForm, InstructionFields):
    pass


class InstructedNoteForm(NoteForm, InstructionFields):
    pass


# The protection record and the commission's matters (handler.protection, p16-p20).
MEASURE_KINDS = {
    "disciplinary": _l("Disciplinary action (p17)"),
    "dismissal": _l("Dismissal (p17)"),
    "transfer": _l("Transfer (p17)"),
    "labour_dispute": _l("Individual labour dispute (p16)"),
}
MEASURE_BODIES = {
    "conciliation": _l("Conciliation commission"),
    "collegial": _l("Disciplinary commission or other collegial body"),
}


class PersonForm(Form):
    full_name = StringField(
        _l("Full name of the protected employee"),
        validators=[InputRequired(), Length(max=NAME_MAX)],
    )
    position = StringField(_l("Position"), validators=[Optional(), Length(max=SHORT_MAX)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=SHORT_MAX)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=PROTECTION_TEXT_MAX)])


class CameForwardForm(Form):
    """An anonymous reporter who identified themselves later (cases.identity)."""

    full_name = StringField(_l("Full name"), validators=[InputRequired(), Length(max=NAME_MAX)])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=SHORT_MAX)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=SHORT_MAX)])
    how = TextAreaField(
        _l("How the reporter identified themselves"),
        validators=[InputRequired(), Length(max=PROTECTION_TEXT_MAX)],
        description=_l(
            "In person, by a message in the mailbox, by a letter: "
            "with the date, so the record shows its source."
        ),
    )


class Appendix2ReceivedForm(Form):
    """The signed Appendix 2 (written consent, p11 (5), p14) reached the head."""

    received_on = DateField(_l("Signed Appendix 2 received on"), validators=[InputRequired()])
    scan = FileField(
        _l("Scan of the signed form (optional)"),
        description=_l("Sealed for the heads only, like the identity."),
    )


class CourtDecisionForm(Form):
    """A court decision allowing the reporter's identity to be disclosed (p14)."""

    court = StringField(_l("Court"), validators=[InputRequired(), Length(max=SHORT_MAX)])
    number = StringField(
        _l("Number of the decision"), validators=[InputRequired(), Length(max=SHORT_MAX)]
    )
    decided_on = DateField(_l("Date of the decision"), validators=[InputRequired()])
    scope = TextAreaField(
        _l("Scope of the disclosure"),
        validators=[InputRequired(), Length(max=PROTECTION_TEXT_MAX)],
        description=_l("What may be disclosed, and to whom, as the decision says."),
    )


class MatterForm(Form):
    kind = SelectField(
        _l("Proposed measure"),
        validators=[InputRequired()],
        choices=[
            SelectChoice("", _l("Choose the measure")),
            *(SelectChoice(k, v) for k, v in MEASURE_KINDS.items()),
        ],
    )
    body = SelectField(
        _l("Considered by"),
        validators=[InputRequired()],
        choices=[
            SelectChoice("", _l("Choose the body")),
            *(SelectChoice(k, v) for k, v in MEASURE_BODIES.items()),
        ],
    )
    proposed_on = DateField(_l("Proposed on"), validators=[InputRequired()])
    description = TextAreaField(
        _l("What the measure is about"),
        validators=[Optional(), Length(max=PROTECTION_TEXT_MAX)],
        description=_l("Sealed: only heads can read it."),
    )


class ProtectionShareForm(Form):
    user_id = SelectField(
        _l("Share the protection record with"),
        validators=[InputRequired()],
        description=_l(
            "A handler who holds this case (HR or the ethics "
            "officer keeping the commission's dates). They will "
            "see the protected employee's details and may enter "
            "the dates of the matters."
        ),
    )

    def offer(self, users: list[tuple[int, str]]) -> None:
        self.user_id.choices = [
            SelectChoice("", _l("Choose a colleague")),
            *(SelectChoice(str(uid), label) for uid, label in users),
        ]


def _matter_date(name: str) -> DateField:
    return DateField(DATE_LABELS[name], validators=[Optional()])


class DatesForm(Form):
    agency_invited = BooleanField(_l("The agency's representative was invited"))
    nda_required = BooleanField(
        _l("An NDA is owed (p20)"),
        description=_l(
            "Only if the employee concluded a non-disclosure agreement with the "
            "Anti-Corruption Service earlier: then the head concludes one too "
            "(p20)."
        ),
    )
    agency_invited_on = _matter_date("agency_invited_on")
    meeting_on = _matter_date("meeting_on")
    materials_sent_on = _matter_date("materials_sent_on")
    decided_on = _matter_date("decided_on")
    copy_sent_on = _matter_date("copy_sent_on")
    notice_received_on = _matter_date("notice_received_on")
    appeal_on = _matter_date("appeal_on")
    nda_signed_on = _matter_date("nda_signed_on")


# The draft of Appendix 1 (handler.exports).
LANG_CHOICES = [SelectChoice("ru", _l("Russian")), SelectChoice("kk", _l("Kazakh"))]
FORMAT_CHOICES = [
    SelectChoice("docx", _l("Word document (DOCX)")),
    SelectChoice("html", _l("Page to print")),
]


class Appendix1Form(Form):
    received_at = DateTimeLocalField(
        _l("Date and time of receipt"),
        format=LOCAL_MINUTE,
        validators=[InputRequired()],
        description=_l("Kazakhstan time."),
    )
    received_by = StringField(
        _l("Full name of the person who received the report"),
        validators=[InputRequired(), Length(max=NAME_MAX)],
    )
    channel = SelectField(
        _l("Channel"),
        validators=[InputRequired()],
        choices=[
            SelectChoice("", _l("Choose the channel")),
            *(SelectChoice(k, v) for k, v in CHANNELS.items()),
        ],
    )
    channel_details = StringField(
        _l("How it was delivered"), validators=[Optional(), Length(max=SHORT_MAX)]
    )
    facts = TextAreaField(
        _l("What happened (facts)"), validators=[InputRequired(), Length(max=TEXT_MAX)]
    )
    persons = TextAreaField(_l("Persons involved"), validators=[Optional(), Length(max=TEXT_MAX)])
    subject = StringField(
        _l("Subject of the offence"), validators=[Optional(), Length(max=SHORT_MAX)]
    )
    # Prefilled from the case (p3); always has a value, like lang and fmt below.
    offence_type = SelectField(
        _l("Type of offence (p3)"),
        default=UNDETERMINED,
        choices=[SelectChoice(k, v) for k, v in OFFENCE_TYPE_LABELS.items()],
    )
    when = StringField(_l("When it happened"), validators=[Optional(), Length(max=SHORT_MAX)])
    where = StringField(_l("Where it happened"), validators=[Optional(), Length(max=SHORT_MAX)])
    position = StringField(
        _l("Position of the person concerned"), validators=[Optional(), Length(max=SHORT_MAX)]
    )
    unit = StringField(
        _l("Unit of the person concerned"), validators=[Optional(), Length(max=SHORT_MAX)]
    )
    head_name = StringField(
        _l("Full name of the head who signs"), validators=[Optional(), Length(max=NAME_MAX)]
    )
    include_identity = BooleanField(_l("Include the reporter's details (Appendix 2 consent)"))
    # The ground for including them (p14): the offered choices are the case's own, set by the
    # view; checked there, because a choice only matters when the details are included.
    basis = SelectField(_l("On the ground of"), validate_choice=False)

    def offer_grounds(self, grounds: list[tuple[str, str]]) -> None:
        self.basis.choices = [SelectChoice(value, label) for value, label in grounds]

    # Not "required": they always have a value, and SelectField refuses anything not offered.
    lang = SelectField(_l("Language"), choices=LANG_CHOICES)
    fmt = SelectField(_l("Format"), choices=FORMAT_CHOICES)


class LetterForm(Form):
    """An official letter (documents.letters), prefilled from the case and edited before
    export. Nothing is stored: what is sent here goes into the document and nowhere else."""

    sender = StringField(
        _l("Sender (the organization)"), validators=[Optional(), Length(max=NAME_MAX)]
    )
    outgoing_number = StringField(
        _l("Outgoing number"), validators=[Optional(), Length(max=SHORT_MAX)]
    )
    outgoing_date = DateField(
        _l("Date of the letter"),
        validators=[Optional()],
        description=_l("Left blank, the letter has a line to fill in by hand."),
    )
    addressee = TextAreaField(
        _l("Addressee"),
        validators=[InputRequired(), Length(max=LETTER_BLOCK_MAX)],
        description=_l("One line per line of the addressee block."),
    )
    subject = StringField(_l("Subject"), validators=[Optional(), Length(max=SHORT_MAX)])
    body = TextAreaField(
        _l("Text of the letter"),
        validators=[InputRequired(), Length(max=TEXT_MAX)],
        description=_l("A blank line between two paragraphs."),
    )
    attachments = TextAreaField(
        _l("Attachments"), validators=[Optional(), Length(max=LETTER_BLOCK_MAX)]
    )
    signatory_position = StringField(
        _l("Position of the signatory"), validators=[Optional(), Length(max=SHORT_MAX)]
    )
    signatory_name = StringField(
        _l("Name of the signatory"),
        validators=[Optional(), Length(max=NAME_MAX)],
        description=_l("Left blank, the letter has a line to fill in by hand."),
    )
    fmt = SelectField(_l("Format"), choices=FORMAT_CHOICES)


# The working-day calendar (handler.calendar_admin).
DAY_KINDS = {
    DAY_OFF: _l("Extra day off (transferred rest day)"),
    WORKING_DAY: _l("Working day (transferred from a weekend)"),
}


class DayForm(Form):
    day = DateField(_l("Date"), validators=[InputRequired()])
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice("", _l("Choose the kind of day")),
            *(SelectChoice(k, label) for k, label in DAY_KINDS.items()),
        ],
        validators=[InputRequired()],
    )
    note = StringField(
        _l("Note"),
        validators=[Optional(), Length(max=CALENDAR_NOTE_MAX)],
        description=_l("For example the number and date of the decree."),
    )


class RemoveForm(Form):
    day = HiddenField(validators=[InputRequired(), Length(max=10)])


# Notifications (handler/notifications.py): one's own address, its code, and the notices wanted.
class AddressForm(Form):
    address = StringField(
        _l("New e-mail address"),
        validators=[
            InputRequired(message=_l("Type an e-mail address.")),
            Length(max=ADDRESS_MAX, message=_l("An e-mail address has at most 254 characters.")),
        ],
        description=_l(
            "A code is mailed to it at once; the address is used once you type it here."
        ),
        render_kw={"autocomplete": "email", "inputmode": "email", "spellcheck": "false"},
    )


class AddressCodeForm(Form):
    code = StringField(
        _l("Confirmation code"),
        validators=[
            InputRequired(message=_l("Type the code from the mail.")),
            Length(max=16, message=_l("The code has six digits.")),
        ],
        description=_l("Six digits, from the mail sent to the new address."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


# cases.notices.CHOICES, in its order: what each box turns on.
NOTICE_CHOICE_LABELS = {
    "new_report": _l("New reports I hold"),
    "follow_up": _l("New messages from reporters in my cases"),
    "deadlines": _l("Deadlines due tomorrow, due today and missed"),
    "unopened": _l("Reports still unopened after their day of receipt (heads)"),
    "protection_ending": _l("Protection periods ending within 30 days (heads)"),
}


class NoticeChoicesForm(Form):
    new_report = BooleanField(NOTICE_CHOICE_LABELS["new_report"])
    follow_up = BooleanField(NOTICE_CHOICE_LABELS["follow_up"])
    deadlines = BooleanField(NOTICE_CHOICE_LABELS["deadlines"])
    unopened = BooleanField(NOTICE_CHOICE_LABELS["unopened"])
    protection_ending = BooleanField(NOTICE_CHOICE_LABELS["protection_ending"])
    language = SelectField(
        _l("Language of my mail"),
        # Each name in its own language. No `required`: one option is always chosen, and a value
        # not offered fails the field's own check of its choices.
        choices=[
            SelectChoice(code, LANGUAGE_NAMES[code], render_kw={"lang": code})
            for code in MAIL_LANGUAGES
        ],
    )

    def wanted(self) -> set[str]:
        """The choices ticked: the notices to receive."""
        return {name for name in NOTICE_CHOICE_LABELS if getattr(self, name).data}


class CaseNoteForm(Form):
    note = TextAreaField(
        _l("Internal note"),
        validators=[InputRequired(), Length(max=CASE_NOTE_MAX)],
        description=_l(
            "Sealed to the holders of this case only; the reporter never sees it. It is kept "
            "in the case's history and shared with the case."
        ),
    )


class LinkForm(Form):
    other = StringField(
        _l("Related case"),
        validators=[InputRequired(), Length(max=64)],
        description=_l(
            "The reference of another case you hold, as shown in its title (at least 8 "
            "characters), or choose one from the list."
        ),
        render_kw={"autocomplete": "off", "list": "held-cases", "spellcheck": "false"},
    )


# The operator's organization pages (handler/operator.py). Names are bounded here as in
# cases.organizations, which also cleans them and refuses what a name must not hold.
class OrganizationNamesForm(Form):
    name_kk = StringField(
        _l("Name in Kazakh"), validators=[InputRequired(), Length(max=ORG_NAME_MAX)]
    )
    name_ru = StringField(
        _l("Name in Russian"), validators=[InputRequired(), Length(max=ORG_NAME_MAX)]
    )
    name_en = StringField(
        _l("Name in English"), validators=[InputRequired(), Length(max=ORG_NAME_MAX)]
    )
    short_names = TextAreaField(
        _l("Short names"),
        validators=[Optional(), Length(max=ORG_SHORT_MAX)],
        description=_l("Names people use for it, one a line; they help reporters find it."),
    )


class NewOrganizationForm(OrganizationNamesForm):
    slug = StringField(
        _l("Address name (slug)"),
        validators=[InputRequired(), Length(max=63)],
        description=_l(
            "Lower-case Latin letters, digits and dashes; part of the portal's permanent "
            "address of the organization. It cannot be changed later."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    parent = StringField(
        _l("Superior body's address name (slug)"),
        validators=[Optional(), Length(max=63)],
        description=_l("Leave it empty for a root of the tree."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class MoveOrganizationForm(Form):
    # Typed, not chosen from a list of every organization: the server checks it
    # (cases.organizations refuses an unknown or deactivated one, or one under the moved one).
    parent = StringField(
        _l("New superior body's address name (slug)"),
        validators=[Optional(), Length(max=63)],
        description=_l("Leave it empty to make it a root of the tree."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class FirstAdminForm(Form):
    username = StringField(
        _l("Username"),
        validators=[InputRequired(), Length(min=2, max=64)],
        description=_l("Letters, digits, dot, dash, underscore."),
    )
    full_name = StringField(_l("Full name"), validators=[InputRequired(), Length(max=NAME_MAX)])


class ConfirmForm(Form):
    """A button that changes something: the CSRF token alone."""
