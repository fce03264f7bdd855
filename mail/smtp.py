"""SMTP through the standard library, configured by the back-office host's environment.

``ADAL_SMTP_HOST`` (unset: no mail), ``ADAL_SMTP_PORT``, ``ADAL_SMTP_SECURITY`` (``starttls``,
the default, ``tls`` or ``none``), ``ADAL_SMTP_USER`` and ``ADAL_SMTP_PASSWORD_FILE`` (an
optional login; the password is read from that file, so it is neither in the environment nor in
the database), ``ADAL_MAIL_FROM``. Every failure is an AdalError in area ``mail``; its message is
what the server or the network said, never the password.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from rules.errors import AdalError

AREA = "mail"
SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
TIMEOUT = 30  # seconds for the connection and each command
# A server's reply may quote a recipient; the message of an error keeps no address.
_ADDRESS = re.compile(r"[^\s<>()\[\]'\",;:]+@[^\s<>()\[\]'\",;:]+")


def _said(exc: BaseException) -> str:
    return _ADDRESS.sub("<address>", str(exc))


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    mail_from: str
    user: str = ""
    password: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SmtpSettings | None:
        """The settings, or None when ``ADAL_SMTP_HOST`` is unset (mail is off). A setting
        that is present but wrong is an error (code ``settings``), not a silent off."""
        host = environ.get("ADAL_SMTP_HOST", "").strip()
        if not host:
            return None
        security = environ.get("ADAL_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
        if security not in SECURITY:
            raise AdalError(AREA, "settings", f"ADAL_SMTP_SECURITY must be one of {SECURITY}")
        try:
            port = int(environ.get("ADAL_SMTP_PORT", "") or DEFAULT_PORTS[security])
        except ValueError:
            raise AdalError(AREA, "settings", "ADAL_SMTP_PORT is not a number") from None
        if not 0 < port < 65536:
            raise AdalError(AREA, "settings", "ADAL_SMTP_PORT is out of range")
        mail_from = environ.get("ADAL_MAIL_FROM", "").strip()
        if "@" not in mail_from:
            raise AdalError(AREA, "settings", "ADAL_MAIL_FROM must be an e-mail address")
        user = environ.get("ADAL_SMTP_USER", "").strip()
        password = ""
        password_file = environ.get("ADAL_SMTP_PASSWORD_FILE", "").strip()
        if password_file:
            try:
                password = Path(password_file).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError):
                raise AdalError(
                    AREA, "settings", f"cannot read ADAL_SMTP_PASSWORD_FILE {password_file}"
                ) from None
        if password and not user:
            raise AdalError(AREA, "settings", "ADAL_SMTP_PASSWORD_FILE needs ADAL_SMTP_USER")
        return cls(host, port, security, mail_from, user, password)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def _message(settings: SmtpSettings, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rsplit("@", 1)[1])
    message.set_content(mail.body)  # text/plain, UTF-8
    return message


class Connection:
    def __init__(self, settings: SmtpSettings, client: smtplib.SMTP) -> None:
        self._settings = settings
        self._client = client

    def send(self, mail: Mail) -> None:
        try:
            self._client.send_message(_message(self._settings, mail), to_addrs=[mail.to])
        except smtplib.SMTPRecipientsRefused:
            raise AdalError(AREA, "recipient", "the server refused the recipient") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise AdalError(
                AREA, "send", f"the server did not take the mail: {_said(exc)}"
            ) from None


@contextmanager
def connect(settings: SmtpSettings) -> Iterator[Connection]:
    """One SMTP session for several mails; AdalError ``unreachable`` or ``login`` when it
    cannot be opened."""
    context = ssl.create_default_context()
    try:
        if settings.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=TIMEOUT, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
        if settings.security == "starttls":
            client.starttls(context=context)
    except (smtplib.SMTPException, OSError) as exc:
        raise AdalError(
            AREA, "unreachable", f"cannot reach {settings.host}:{settings.port}: {_said(exc)}"
        ) from None
    try:
        if settings.user:
            try:
                client.login(settings.user, settings.password)
            except (smtplib.SMTPException, OSError) as exc:
                raise AdalError(
                    AREA, "login", f"the server refused the login: {_said(exc)}"
                ) from None
        yield Connection(settings, client)
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


def send_one(settings: SmtpSettings, mail: Mail) -> None:
    with connect(settings) as connection:
        connection.send(mail)
