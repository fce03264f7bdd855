"""The back office's documented defaults, with no environment at all, and the demo's switch."""

from __future__ import annotations

from handler.config import HandlerConfig


def test_defaults_without_environment() -> None:
    assert HandlerConfig.from_env({}).secure_cookies is True


def test_only_the_demo_value_turns_secure_cookies_off() -> None:
    assert HandlerConfig.from_env({"ADAL_INSECURE_COOKIES": "1"}).secure_cookies is False
    for other in ("0", "true", "yes", " 1", ""):
        assert HandlerConfig.from_env({"ADAL_INSECURE_COOKIES": other}).secure_cookies is True
