"""Outgoing mail for the back office: SMTP settings from the environment and a sender.

Only the back-office host sends mail (the notification worker and the address confirmation);
the portal holds no mail settings.
"""
