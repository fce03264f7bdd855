"""The notification worker against a real SMTP server on loopback (tests/support/mailcatcher.py)."""

from tests.support.mailcatcher import mail_guard, smtp

__all__ = ["mail_guard", "smtp"]  # fixtures
