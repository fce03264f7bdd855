"""The portal's settings, read once from the environment when the app is made."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_MAX_UPLOAD = 2 * 1024 * 1024 * 1024  # 2 GiB per request


class ConfigError(ValueError):
    """An environment variable holds a value the portal cannot use."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    return value


@dataclass(frozen=True)
class PortalConfig:
    secure_cookies: bool = True
    onion_location: str | None = None
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    kdf_slots: int = 1
    # Logins that may wait for a slot (5 s at most) when all are busy. Each waits on a worker
    # thread, so keep it well below the thread count: the other pages need the rest.
    kdf_waiting: int = 1

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PortalConfig:
        env = os.environ if env is None else env
        onion = env.get("ADAL_ONION_LOCATION", "").strip() or None
        if onion and not (onion.startswith("http://") and ".onion" in onion):
            raise ConfigError("ADAL_ONION_LOCATION must be an http://….onion address")
        return cls(
            # Only the plain-HTTP loopback demo turns Secure off; anything else keeps it.
            secure_cookies=env.get("ADAL_INSECURE_COOKIES", "") != "1",
            onion_location=onion,
            max_upload_bytes=_int(env, "ADAL_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD, 1024),
            kdf_slots=_int(env, "ADAL_KDF_SLOTS", os.cpu_count() or 1, 1),
            kdf_waiting=_int(env, "ADAL_KDF_WAITING", 1, 0),
        )
