"""One Chromium and one running site per directory for the browser tests
(tests/support/browser.py)."""

from tests.support.browser import chrome, site

__all__ = ["chrome", "site"]  # package-scoped fixtures: each directory gets its own
