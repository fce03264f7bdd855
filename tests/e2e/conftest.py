"""One Chromium and one running site for the browser tests (see tests/browser.py)."""

from tests.browser import chrome, site

__all__ = ["chrome", "site"]
