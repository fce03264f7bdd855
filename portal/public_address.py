"""The portal's own addresses as a poster prints them: the public web address and the onion
address, both from the configuration, never from the request a poster happens to be printed
from (a Host header is whatever the client sent)."""

from __future__ import annotations

from flask import request, url_for

from portal.extensions import portal_config


def organization_url(slug: str) -> str:
    """The organization's permanent page at the configured public address (ADAL_PUBLIC_URL);
    without one, at the address this page was asked for."""
    path = url_for("directory.organization", slug=slug)
    base = portal_config().public_url or request.url_root
    return base.rstrip("/") + path


def onion_url(slug: str) -> str | None:
    onion = portal_config().onion_location
    if not onion:
        return None
    return onion.rstrip("/") + url_for("directory.organization", slug=slug)
