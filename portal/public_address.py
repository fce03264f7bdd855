"""The portal's own addresses as a poster prints them: the public web address and the onion
address, both from the configuration, never from the request a poster happens to be printed
from (a Host header is whatever the client sent)."""

from __future__ import annotations

from flask import url_for

from portal.extensions import portal_config


def organization_url(slug: str) -> str | None:
    """The organization's permanent page at the configured public address (ADAL_PUBLIC_URL);
    None without one: the poster then draws no code and asks the administrator to set it."""
    base = portal_config().public_url
    if not base:
        return None
    return base.rstrip("/") + url_for("directory.organization", slug=slug)


def onion_url(slug: str) -> str | None:
    onion = portal_config().onion_location
    if not onion:
        return None
    return onion.rstrip("/") + url_for("directory.organization", slug=slug)
