"""The back office's settings, read once from the environment when the app is made.

The same shape as portal.config: a frozen object built by `from_env`, so the factory reads no
environment variable itself and a test can pass settings without touching os.environ.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from mail.smtp import SmtpSettings
from rules.errors import AdalError

DEFAULT_WINDOW_MINUTES = 15


@dataclass(frozen=True)
class HandlerConfig:
    secure_cookies: bool = True
    # Mail (mail/smtp.py): None when ADAL_SMTP_HOST is unset, and then nobody is mailed.
    smtp: SmtpSettings | None = None
    # The address a mail tells staff to sign in at (ADAL_BACKOFFICE_URL).
    backoffice_url: str = ""
    # Notices are batched in windows of this many minutes (ADAL_NOTIFY_WINDOW_MINUTES; 0: at
    # once), so the time of a mail does not give away the time of a report.
    notify_window_minutes: int = DEFAULT_WINDOW_MINUTES

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HandlerConfig:
        env = os.environ if env is None else env
        try:
            window = int(env.get("ADAL_NOTIFY_WINDOW_MINUTES", "") or DEFAULT_WINDOW_MINUTES)
        except ValueError:
            raise AdalError(
                "mail", "settings", "ADAL_NOTIFY_WINDOW_MINUTES is not a number"
            ) from None
        if not 0 <= window <= 1440:
            raise AdalError("mail", "settings", "ADAL_NOTIFY_WINDOW_MINUTES must be 0 to 1440")
        return cls(
            # Only the plain-HTTP loopback demo turns Secure off; anything else keeps it.
            secure_cookies=env.get("ADAL_INSECURE_COOKIES", "") != "1",
            smtp=SmtpSettings.from_env(env),
            backoffice_url=env.get("ADAL_BACKOFFICE_URL", "").strip(),
            notify_window_minutes=window,
        )
