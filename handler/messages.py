"""What a refusal says to staff: every AdalError code the back office can show, as translated text.

One table for the whole back office, keyed by the error's area and code, so a new code gets its
words here and nowhere else, and the same code in two areas ("exists") can say two things. The
step and field names that refusals point at (a missing step, the date at fault) are labelled
here too, because a message is built from them; the views take their labels from here as well,
so a form and its refusal name a field in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import documents.forms
from cases import (
    assignment,
    calendar,
    custody,
    directory,
    disclosure,
    handover,
    identity,
    links,
    lists,
    mail_address,
    notes,
    organizations,
    protection,
    register_book,
    search,
    staff,
)
from handler import settings
from mail import smtp
from rules import workflow
from rules.errors import AdalError
from rules.workflow import Step

STEP_LABELS: Mapping[str, LazyString] = {
    Step.REGISTERED: _l("Report registered (p6)"),
    Step.NDA_INTENTION: _l("Reporter stated an intention to sign an NDA (p7)"),
    Step.NDA_SIGNED: _l("Non-disclosure agreement signed (p7)"),
    Step.NDA_DECLINED: _l("Reporter declined the non-disclosure agreement (p7)"),
    Step.KNS_NOTIFIED: _l("Anti-Corruption Service notified via 1424 (p8)"),
    Step.CONFIRMATION_SENT: _l("Written confirmation sent to the Anti-Corruption Service (p9)"),
    Step.RIGHTS_EXPLAINED: _l("Rights and obligations explained to the reporter (p12)"),
    Step.DECISION_RECEIVED: _l("Decision of the authorised body received"),
    Step.REPORTER_INFORMED: _l("Reporter informed of the decision (Appendix 3)"),
    Step.CLOSED: _l("Case closed"),
    Step.CLOSED_WITHOUT_DECISION: _l("Case closed without a decision (head)"),
}
# p3: the kind of offence a report concerns (rules.offences).
OFFENCE_TYPE_LABELS: Mapping[str, LazyString] = {
    "crime": _l("Corruption crime (Criminal Code, art. 3 (29))"),
    "administrative": _l(
        "Administrative corruption offence (Code of Administrative Offences, chapter 34)"
    ),
    "undetermined": _l("Not yet determined"),
}
# Why a case is closed without the authorised body's decision (rules.workflow.CLOSING_REASONS).
CLOSING_REASON_LABELS: Mapping[str, LazyString] = {
    "no_decision": _l("No decision received by a stated date"),
    "transferred": _l("Case transferred"),
    "duplicate": _l("Duplicate of another case"),
}
# The details of a workflow step (rules.workflow).
DETAIL_LABELS: Mapping[str, LazyString] = {
    "call_time": _l("Time of the 1424 call"),
    "operator": _l("Name of the operator who took the call"),
    "call_reference": _l("Call reference"),
    "outgoing_number": _l("Outgoing number"),
    "outgoing_date": _l("Date of the letter"),
    "signed_at": _l("Signed at"),
    "declined_at": _l("Declined at"),
    "basis": _l("Evidence of the refusal"),
    "note": _l("Note"),
    "nda_deadline": _l("NDA deadline (24 hours)"),
    "on_instruction_of": _l("On the instruction of the head"),
    "reason": _l("Reason"),
    "no_decision_by": _l("No decision had been received by"),
    "transferred_to": _l("Transferred to"),
    "duplicate_of": _l("Duplicate of the case"),
    "offence_type": _l("Type of offence (p3)"),
}
# The dates of a protection matter (cases.protection).
DATE_LABELS: Mapping[str, LazyString] = {
    "agency_invited_on": _l("Agency representative invited on"),
    "meeting_on": _l("Meeting date"),
    "materials_sent_on": _l(
        "Materials sent to the authorised body for civil service affairs on (p18)"
    ),
    "decided_on": _l("Decision taken on"),
    "copy_sent_on": _l(
        "Copy of the decision or minutes sent to the authorised body for civil "
        "service affairs on (p19)"
    ),
    "notice_received_on": _l("Agency's notice received on (p20)"),
    "appeal_on": _l("Employee's appeal reached the agency on"),
    "nda_signed_on": _l("NDA signed on"),
}
# The names of an organization (cases.organizations), named by the refusals about them.
ORGANIZATION_NAME_LABELS: Mapping[str, LazyString] = {
    "kk": _l("Name in Kazakh"),
    "ru": _l("Name in Russian"),
    "en": _l("Name in English"),
    "short": _l("Short names"),
}
_FIELD_LABELS: Mapping[str, Mapping[str, LazyString]] = {
    workflow.AREA: DETAIL_LABELS,
    protection.AREA: DATE_LABELS,
    organizations.AREA: ORGANIZATION_NAME_LABELS,
}

_NO_STEP = _l("There is no such step.")
# The views refuse these earlier with words of their own; reaching one is someone's typo.
_REFUSED = _l("The change was refused.")
# One answer whatever the reason: the page must not say which of identity or consent is absent.
_NO_IDENTITY = _l(
    "The reporter's details cannot be included: the identity or the written consent is missing."
)

TEXTS: Mapping[str, Mapping[str, LazyString]] = {
    workflow.AREA: {
        "unknown_step": _NO_STEP,
        "missing_actor": _l("Every step must name who recorded it."),
        "case_closed": _l("The case is closed; nothing more can be recorded."),
        "repeated": _l("This step has already been recorded."),
        "not_applicable_anonymous": _l(
            "This step needs a known reporter, and this report is anonymous."
        ),
        "not_applicable_no_intention": _l(
            "No intention to sign an NDA is recorded; record the reporter's intention first."
        ),
        "nda_already_signed": _l("The non-disclosure agreement is already signed."),
        "decision_received": _l(
            "A decision is received: inform the reporter and close the case the usual way."
        ),
        "out_of_order": _l("This step cannot be recorded yet: earlier steps are missing."),
        "not_chronological": _l("This step cannot be dated before the previous one."),
        "missing_detail": _l("A required detail of this step is missing."),
        "invalid_detail": _l("A date or time must lie between the receipt of the report and now."),
        "head_duty": _l(
            "This is the head's duty: only the head records it, or someone who "
            "names the head on whose instruction they record it."
        ),
    },
    protection.AREA: {
        "not_applicable_anonymous": _l(
            "The reporter is anonymous: there is nobody to protect by name."
        ),
        "missing_name": _l("The full name is needed."),
        "exists": _l("This case already has a protection record."),
        "too_long": _l("A text is too long."),
        "in_future": _l("A date of something already done cannot lie in the future."),
        "order": _l("The dates contradict each other."),
        "not_shareable": _l(
            "The record can be shared only with an active handler who holds this case."
        ),
        "no_key": _l("Your key does not open this record, so you cannot share it."),
    },
    calendar.AREA: {
        "bad_kind": _l("Choose what kind of day it is."),
        "note_too_long": _l("The note is too long."),
        "exists": _l("This date already has an entry. Remove it first to change it."),
        "no_effect": _l(
            "This would change nothing: the date already is that kind of day. Check the date."
        ),
        "not_found": _l("This date has no entry."),
    },
    organizations.AREA: {
        "bad_slug": _l(
            "The address name is 1-63 lower-case Latin letters, digits or dashes, "
            "not starting or ending with a dash."
        ),
        "exists": _l("An organization with this address name already exists."),
        "unknown": _l("There is no such organization."),
        "unknown_parent": _l(
            "No organization has this address name. Check it, or find the organization "
            "with the search on the organizations' page."
        ),
        "parent_inactive": _l("The superior body is deactivated; choose an active one."),
        "too_deep": _l("The tree cannot be deeper than this."),
        "cycle": _l("An organization cannot be moved under itself or under one below it."),
        "missing_name": _l("Every name is required."),
        "too_long": _l("A name is too long."),
        "link": _l("A name holds no web or mail address."),
    },
    staff.AREA: {
        "exists": _l("That username is taken."),
        "bad_username": _l("Use 2-64 letters, digits, '.', '_' or '-'."),
        "inactive_org": _l("Your organization is deactivated: it takes no new users."),
    },
    identity.AREA: {
        "not_anonymous": _l("The reporter of this case is already known."),
        "missing_name": _l("The full name is needed."),
        "missing_how": _l("Say how the reporter identified themselves."),
        "too_long": _l("A text is too long."),
    },
    disclosure.AREA: {
        "not_applicable_anonymous": _l(
            "The reporter is anonymous: there is no identity to disclose."
        ),
        "out_of_range": _l("The date must lie between the receipt of the report and today."),
        "missing": _l("A required detail is missing."),
        "too_long": _l("A text is too long."),
    },
    handover.AREA: {
        "not_a_head": _l("The incoming head must be an active head with a key."),
        "same_person": _l("You cannot hand over to yourself."),
        "not_approved": _l(
            "The incoming head's key is not approved yet: approve it on the Head keys page first."
        ),
    },
    custody.AREA: {
        "not_custodian": _l("Only a head whose own key is approved can approve a head key."),
        "not_pending": _l("This key is not awaiting approval."),
        "own_key": _l("You cannot approve your own key: another head must do it."),
    },
    settings.AREA: {
        "link": _l(
            "An organization's name cannot contain a web or e-mail address: it is printed on "
            "Appendix 1 and written into every notice mail."
        ),
    },
    mail_address.AREA: {
        "daily_limit": _l("No more codes can be sent today. Try again tomorrow."),
        "empty": _l("Type an e-mail address."),
        "too_long": _l("An e-mail address has at most 254 characters."),
        "bad_address": _l(
            "This is not an e-mail address. Type it as name@example.kz, without spaces."
        ),
        "unchanged": _l("This address is already confirmed."),
        "too_soon": _l(
            "A code was sent less than a minute ago. Wait a minute before asking for another."
        ),
        "no_code": _l("No address is waiting for a code. Set the address first."),
        "locked": _l("The code was typed wrong too many times. Ask for a new code."),
        "expired": _l("The code has expired. Ask for a new code."),
        "wrong_code": _l("This is not the code that was sent. Check it and type it again."),
        "bad_choice": _l("There is no such kind of notice."),
        "bad_language": _l("Choose one of the languages offered."),
    },
    # Sending a confirmation code (handler/notifications.py): staff are not shown the server's
    # own words, which can name hosts and accounts.
    smtp.AREA: {
        "unreachable": _l(
            "The mail server cannot be reached, so no code was sent. Try again later or tell "
            "your administrator."
        ),
        "login": _l(
            "The mail server refused this server's sign-in, so no code was sent. Tell your "
            "administrator."
        ),
        "recipient": _l("The mail server refused this address, so no code was sent."),
        "send": _l(
            "The mail server did not take the mail, so no code was sent. Try again later or "
            "tell your administrator."
        ),
    },
    register_book.AREA: {
        "period_reversed": _l("The period ends before it starts."),
        "period_too_long": _l("A register covers at most five years; choose a shorter period."),
    },
    notes.AREA: {
        "not_holder": _l("You do not hold this case, or it does not exist."),
        "empty": _l("The note is empty."),
        "too_long": _l("The note is too long."),
    },
    links.AREA: {
        "not_holder": _l("You can link only cases you hold both of."),
        "bad_reference": _l(
            "A case reference is 8 to 32 characters, digits and the letters a-f, as shown in "
            "the case's title."
        ),
        "no_such_case": _l("No case you hold has this reference."),
        "ambiguous": _l("Several cases you hold start with this reference: type more of it."),
        "same_case": _l("A case cannot be linked to itself."),
        "exists": _l("These cases are already linked."),
        "not_linked": _l("These cases are not linked."),
    },
    lists.AREA: {
        "bad_cursor": _l(
            "This page link is not one the list made (it was changed or cut short), so the "
            "list starts again from its first page."
        ),
    },
    search.AREA: {
        "too_short": _l("Type at least two letters to search."),
        "too_long": _l("The search text is too long: at most 200 characters."),
    },
    # The operator's search of the tree reuses the portal's (cases.directory).
    directory.AREA: {
        "too_short": _l("Type at least two letters to search."),
        "too_long": _l("The search text is too long: at most 100 characters."),
    },
    assignment.AREA: {
        "not_holder": _l("Only someone who holds this case can choose who is responsible for it."),
        "assignee_not_holder": _l(
            "The responsible person must be someone who holds this case. Share it with them first."
        ),
        "not_head": _l("Only a head assigns a case to someone else; you can take it yourself."),
        "no_case": _l("The report is not registered as a case yet: open it first."),
    },
    documents.forms.AREA: {
        "no_identity": _NO_IDENTITY,
        "no_consent": _NO_IDENTITY,
        "not_head": _NO_IDENTITY,
    },
}
# For a code an area does not list: the words that area has always used for "something else".
_OTHERWISE: Mapping[str, LazyString] = {
    workflow.AREA: _NO_STEP,
    staff.AREA: _l("This cannot be used."),
    documents.forms.AREA: _NO_IDENTITY,
    smtp.AREA: _l("The mail could not be sent. Try again later or tell your administrator."),
}


def describe(error: AdalError) -> str:
    """The refusal in the user's language, naming the fields at fault and any missing steps."""
    base, _sep, fields = error.code.partition(":")
    found = TEXTS.get(error.area, {}).get(base)
    text = str(_OTHERWISE.get(error.area, _REFUSED) if found is None else found)
    if fields:
        labels = _FIELD_LABELS.get(error.area, {})
        text = f"{text} ({' / '.join(str(labels.get(n, n)) for n in fields.split('|'))})"
    missing = error.params.get("missing")
    if isinstance(missing, tuple) and missing:
        steps = "; ".join(str(STEP_LABELS.get(s, s)) for s in missing)
        text = f"{text} {_('Missing: %(steps)s', steps=steps)}"
    return text
