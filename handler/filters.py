"""Template helpers: Kazakhstan time, labels for channels and statuses, the signed-in user."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, g
from flask_babel import format_date, format_datetime
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from cases.facts import utc
from documents.controls import BIDI_CONTROLS, placeholder, reveal_controls

CHANNELS = {
    "portal": _l("Anonymous web portal (p5.5)"),
    "in_person": _l("In person to the head (p5.1)"),
    "ethics_officer": _l("Through the ethics officer or compliance officer (p5.2)"),
    "electronic": _l("Electronic channel or video conference (p5.3)"),
    "hotline": _l("Hotline / telephone line (p5.4)"),
    "other": _l("Another channel provided by law (p5.6)"),
}
STATUSES = {
    "new": _l("New, not opened yet"),
    "registered": _l("Registered"),
    "kns_notified": _l("Anti-Corruption Service notified"),
    "confirmation_sent": _l("Written confirmation sent"),
    "decision_received": _l("Decision received"),
    "reporter_informed": _l("Reporter informed"),
    "closed": _l("Closed"),
    "closed_without_decision": _l("Closed without decision"),
}
# Appendix 1 wording for the fields of a report payload (store/payloads.py).
REPORT_LABELS = {
    "received_at": _l("Date and time of receipt"),
    "channel": _l("Channel"),
    "received_by": _l("Received by"),
    "channel_details": _l("How it was delivered"),
    "facts": _l("What happened (facts)"),
    "persons": _l("Persons involved"),
    "subject": _l("Subject of the offence"),
    "position": _l("Position of the person concerned"),
    "unit": _l("Unit of the person concerned"),
    "when": _l("When it happened"),
    "where": _l("Where it happened"),
    "attachment_count": _l("Files sent with the report"),
    "identity_provided": _l("Identity given"),
    "consent": _l("Consent to access to information about them, as given with the report"),
    "nda_intended": _l("Intends to sign a non-disclosure agreement (p7)"),
    "false_report_acknowledged": _l("Acknowledged liability for knowingly false reports"),
    "language": _l("Language of the form"),
}
ROLES = {
    "handler": _l("Handler (ethics / compliance officer)"),
    "head": _l("Head (custodian of identities)"),
    "admin": _l("Administrator"),
    "auditor": _l("Auditor"),
    "operator": _l("Operator (organizations and the national calendar)"),
}


def kz_datetime(value: datetime | None) -> str:
    """Babel converts to BABEL_DEFAULT_TIMEZONE (Asia/Almaty) for display."""
    if value is None:
        return ""
    return format_datetime(utc(value), "medium")


def kz_date(value: date | None) -> str:
    return "" if value is None else format_date(value, "medium")


def marked_controls(value: Any) -> Markup:
    """Text for display with each bidirectional control (documents/controls.py) as a visibly
    marked placeholder, so a handler sees that the reporter's text contained one."""
    title = _l("An invisible character that changes the direction of text")
    text = str(value)
    parts: list[Markup] = []
    start = 0
    for match in BIDI_CONTROLS.finditer(text):
        parts.append(escape(text[start : match.start()]))
        parts.append(
            Markup('<mark class="control" title="{}">{}</mark>').format(
                title, placeholder(match.group(0))
            )
        )
        start = match.end()
    parts.append(escape(text[start:]))
    return Markup("").join(parts)


def _visible_controls(value: Any) -> Any:
    """Jinja's finalize: every value a back-office template prints, whether or not a template
    remembered `marked_controls`, carries no working bidirectional control. Plain text (no
    tags), so it is also safe inside attributes and form fields."""
    if not isinstance(value, str) or not BIDI_CONTROLS.search(value):
        return value
    if isinstance(value, Markup):
        # Markup.replace escapes the placeholder, which has nothing to escape, and stays Markup.
        for char in set(BIDI_CONTROLS.findall(value)):
            value = value.replace(char, placeholder(char))
        return value
    return reveal_controls(value)


def install(app: Flask) -> None:
    # Before any template is compiled: finalize is built into the compiled code.
    app.jinja_env.finalize = _visible_controls
    app.jinja_env.filters["marked_controls"] = marked_controls
    app.jinja_env.filters["kz_datetime"] = kz_datetime
    app.jinja_env.filters["kz_date"] = kz_date
    app.jinja_env.filters["channel"] = lambda c: CHANNELS.get(c, c)
    app.jinja_env.filters["status"] = lambda s: STATUSES.get(s, s)
    app.jinja_env.filters["role"] = lambda r: ROLES.get(r, r)
    app.jinja_env.globals["channels"] = CHANNELS
    app.jinja_env.globals["report_labels"] = REPORT_LABELS

    @app.context_processor
    def _user() -> dict[str, object]:
        return {"user": g.get("user")}
