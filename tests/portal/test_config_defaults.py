"""The portal's documented defaults, with no environment at all."""

from __future__ import annotations

import os

from portal.config import ConfigError, PortalConfig


def test_defaults_without_environment() -> None:
    cfg = PortalConfig.from_env({})
    assert cfg.max_upload_bytes == 2 * 1024 * 1024 * 1024  # 2 GiB per request
    assert cfg.kdf_slots == os.cpu_count()  # one Argon2 run per core
    assert cfg.secure_cookies is True and cfg.onion_location is None


def test_public_url_is_read_and_checked() -> None:
    assert PortalConfig.from_env({}).public_url is None
    cfg = PortalConfig.from_env({"ADAL_PUBLIC_URL": " https://adal.example.kz/ "})
    assert cfg.public_url == "https://adal.example.kz/"
    for bad in ("adal.example.kz", "javascript:alert(1)", "https://a.kz/<x>", "ftp://a.kz/"):
        try:
            PortalConfig.from_env({"ADAL_PUBLIC_URL": bad})
        except ConfigError as refused:
            assert "ADAL_PUBLIC_URL" in str(refused)
        else:
            raise AssertionError(f"{bad!r} was accepted")
