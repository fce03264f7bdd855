"""The portal's documented defaults, with no environment at all."""

from __future__ import annotations

import os

from portal.config import PortalConfig


def test_defaults_without_environment() -> None:
    cfg = PortalConfig.from_env({})
    assert cfg.max_upload_bytes == 2 * 1024 * 1024 * 1024  # 2 GiB per request
    assert cfg.kdf_slots == os.cpu_count()  # one Argon2 run per core
    assert cfg.secure_cookies is True and cfg.onion_location is None
