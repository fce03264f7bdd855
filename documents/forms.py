"""Appendix 1, 2 and 3 as plain data: what goes on the page, before any file format.

The builders here decide *what* is printed, including the one rule that protects the reporter:
their details go into Appendix 1 (p11 (5)) only when their identity is known, they gave written
consent (Appendix 2, p14) and the person exporting is a head (the custodian of identities).
The DOCX and HTML renderers print a sheet and decide nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from documents.controls import reveal_controls
from documents.text import FormText, Lang, RightsText, channel_name, form_text, rights_text
from rules.clock import require_aware, to_local
from rules.errors import AdalError
from rules.offences import UNDETERMINED

HEAD_ROLE = "head"
# Of the AdalError codes raised here: the reporter's details may not go into this document.
AREA = "identity"
# Characters XML 1.0 cannot hold (C0 controls except tab and newline, lone surrogates, U+FFFE,
# U+FFFF): a report's text is the reporter's, and one stray control character must not make
# the confirmation impossible to export.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """``text`` with Windows and old Mac line ends as "\n", XML-illegal characters gone and
    bidirectional controls shown as placeholders (documents/controls.py)."""
    text = _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return reveal_controls(text).strip()


@dataclass(frozen=True)
class ReporterDetails:
    """Appendix 2: the reporter's own details, from the sealed identity block."""

    full_name: str
    position: str = ""
    unit: str = ""
    consent: bool = False  # a ground to disclose them (p14): consent or a court decision
    # Which ground: "statement" (the portal's consent box), "appendix2" (the signed form,
    # received on ``basis_on``) or "court" (a decision of ``court``, No ``number``, of
    # ``basis_on``). Appendix 1 prints it next to the details.
    consent_form: str = ""
    # For "statement": True when the box was ticked on the portal, False when the consent was
    # marked as a report from another channel (p5.1-p5.4, p5.6) was registered.
    on_portal: bool = True
    basis_on: date | None = None
    court: str = ""
    number: str = ""

    def line(self) -> str:
        return ", ".join(p.strip() for p in (self.full_name, self.position, self.unit) if p.strip())


@dataclass(frozen=True)
class Confirmation:
    """Everything p11 asks of the written confirmation (Appendix 1)."""

    received_at: datetime  # exact, aware; printed in Kazakhstan time
    received_by: str  # full name of the person who received the report
    channel: str  # Submission.channel key (p5)
    facts: str
    persons: str = ""
    subject: str = ""
    position: str = ""  # of the person concerned
    unit: str = ""
    head_name: str = ""
    channel_details: str = ""  # how it was delivered, where the source can be identified
    when: str = ""
    where: str = ""
    reporter: ReporterDetails | None = None
    offence_type: str = UNDETERMINED  # p3 (rules.offences)

    def __post_init__(self) -> None:
        require_aware(self.received_at, "received_at")


@dataclass(frozen=True)
class Line:
    """A filled-in (or blank) line of a form with its caption printed underneath."""

    value: str
    caption: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", printable(self.value))


@dataclass(frozen=True)
class Signature:
    name: str  # printed as given: it comes from the staff account, not from a report
    signature_blank: str
    date_blank: str
    caption: str


@dataclass(frozen=True)
class FormSheet:
    """Appendix 1 or 2 ready to print."""

    lang: Lang
    corner: tuple[str, ...]  # the appendix label and the document it belongs to
    head: tuple[Line, ...]  # Appendix 1's block above the title
    title: str
    lines: tuple[Line, ...]
    signature: Signature | None
    document_title: str  # for the file's metadata and the page title


@dataclass(frozen=True)
class RightsSheet:
    """Appendix 3 ready to print."""

    lang: Lang
    corner: tuple[str, ...]
    text: RightsText  # the appendix's wording, as it stands

    @property
    def title(self) -> str:
        return self.text.title


def _corner(text: FormText, label: str) -> tuple[str, ...]:
    # Russian puts «Приложение N» first; Kazakh names the document first: «...ұсынымдарға
    # N-қосымша».
    if text.corner_order == "label_first":
        return (label, text.reference)
    return (text.reference, label)


def _lang(lang: str) -> Lang:
    form_text(lang)  # raises for an unknown language
    return "ru" if lang == "ru" else "kk"


def check_identity_export(reporter: ReporterDetails | None, exporter_role: str | None) -> None:
    """Raise AdalError (area "identity") unless these details may be printed for this exporter."""
    if reporter is None or not reporter.full_name.strip():
        raise AdalError(AREA, "no_identity", "the reporter's identity is not known")
    if not reporter.consent:
        raise AdalError(AREA, "no_consent", "the reporter gave no written consent (Appendix 2)")
    if exporter_role != HEAD_ROLE:
        raise AdalError(AREA, "not_head", "only a head may export the reporter's details")


def received_at_text(moment: datetime, lang: str) -> str:
    local = to_local(moment)
    return f"{local:%d.%m.%Y, %H:%M} ({form_text(lang).time_zone})"


def _description(data: Confirmation, text: FormText) -> str:
    """The description's labelled lines, ending with the kind of offence of p3 (always
    printed, "not determined" included, so the reader never has to guess)."""
    kind = text.offence_types.get(data.offence_type, text.offence_types[UNDETERMINED])
    parts = [
        (text.facts, data.facts),
        (text.persons, data.persons),
        (text.subject, data.subject),
        (text.when, data.when),
        (text.where, data.where),
        (text.offence_type, kind),
    ]
    return "\n".join(f"{label}: {printable(value)}" for label, value in parts if printable(value))


def _basis(reporter: ReporterDetails, text: FormText) -> str:
    """Which form the consent took (p11 (5), p14), or the court decision disclosing them."""
    day = reporter.basis_on.strftime("%d.%m.%Y") if reporter.basis_on else "—"
    if reporter.consent_form == "appendix2":
        return text.consent_appendix2.format(date=day)
    if reporter.consent_form == "court":
        return text.court_basis.format(court=reporter.court, number=reporter.number, date=day)
    return text.consent_statement if reporter.on_portal else text.consent_registered


def appendix1(
    data: Confirmation,
    lang: str,
    *,
    include_identity: bool = False,
    exporter_role: str | None = None,
) -> FormSheet:
    """The written confirmation (p10-p11, Appendix 1).

    ``include_identity`` puts the reporter's details in (p11 (5)); it raises AdalError (area
    "identity") unless the identity is known, consent is given and ``exporter_role`` is "head".
    Without it the line reads "not given", the same words for an anonymous report and for a
    known reporter without consent, so the document does not tell which it was.
    """
    if include_identity:
        check_identity_export(data.reporter, exporter_role)
    text = form_text(lang)
    channel = channel_name(lang, data.channel)
    if data.channel_details.strip():
        channel = f"{channel}; {data.channel_details.strip()}"
    concerned = ", ".join(p.strip() for p in (data.position, data.unit) if p.strip())
    reporter = (
        f"{data.reporter.line()}; {_basis(data.reporter, text)}"
        if include_identity and data.reporter is not None
        else text.not_given
    )
    return FormSheet(
        lang=_lang(lang),
        corner=_corner(text, text.appendix1),
        head=(
            Line(received_at_text(data.received_at, lang), text.received_at),
            Line(data.received_by.strip(), text.received_by),
            Line(channel, text.channel),
        ),
        title=text.title1,
        lines=(
            Line(_description(data, text), text.description),
            Line(concerned, text.concerned),
            Line(reporter, text.reporter),
        ),
        signature=Signature(
            printable(data.head_name), text.signature_blank, text.date_blank, text.head_signature
        ),
        document_title=text.title1,
    )


def appendix2(
    lang: str, reporter: ReporterDetails | None = None, *, exporter_role: str | None = None
) -> FormSheet:
    """The reporter's details and consent (Appendix 2). Blank for the reporter to fill in by
    hand, or pre-filled with their details, which only a head may do (the consent line is
    always left for their own hand)."""
    text = form_text(lang)
    value = ""
    if reporter is not None:
        if exporter_role != HEAD_ROLE:
            raise AdalError(AREA, "not_head", "only a head may print the reporter's details")
        value = reporter.line()
    return FormSheet(
        lang=_lang(lang),
        corner=_corner(text, text.appendix2),
        head=(),
        title=text.title2,
        lines=(Line(value, text.reporter_caption), Line("", text.consent_caption)),
        signature=None,
        document_title=text.title2,
    )


def appendix3(lang: str) -> RightsSheet:
    """The reporter's rights and obligations (Appendix 3, p12), in full."""
    text = form_text(lang)
    return RightsSheet(
        lang=_lang(lang), corner=_corner(text, text.appendix3), text=rights_text(lang)
    )


def confirmation_from_report(
    report: Mapping[str, Any],
    *,
    received_at: datetime,
    received_by: str,
    head_name: str,
    channel: str,
    reporter: ReporterDetails | None = None,
) -> Confirmation:
    """Appendix 1's data from a decrypted report payload (store.payloads "adal/report/v1").

    The caller passes the exact receipt time it parsed from the same payload, the name of
    the person who received the report (for a portal report, whoever registered the case) and
    the head's name; the reporter's details only from the identity block, if at all.
    """

    def field(name: str) -> str:
        value = report.get(name)
        return value.strip() if isinstance(value, str) else ""

    return Confirmation(
        received_at=received_at,
        received_by=received_by,
        channel=channel,
        facts=field("facts"),
        persons=field("persons"),
        subject=field("subject"),
        position=field("position"),
        unit=field("unit"),
        head_name=head_name,
        channel_details=field("channel_details"),
        when=field("when"),
        where=field("where"),
        reporter=reporter,
    )
