"""The portal's settings, read once from the environment when the app is made."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_MAX_UPLOAD = 2 * 1024 * 1024 * 1024  # 2 GiB per request
# 8 KiB/s on average, measured from the start of the body once two minutes have passed.
DEFAULT_MIN_UPLOAD_RATE = 8 * 1024
DEFAULT_UPLOAD_GRACE = 120.0
# An http(s) origin with an optional path, nothing a poster could not print as it is.
_PUBLIC_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~/-]*)?")


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


def kdf_budget(threads: int) -> int:
    """Threads that KDF work (running or waiting) may hold in one worker."""
    return max(1, threads // 2)


def upload_budget(threads: int) -> int:
    """Threads that receiving files (running or waiting) may hold in one worker: what KDF work
    leaves, less one for the other pages, so slow or stalled uploads never hold them all."""
    return max(1, threads - kdf_budget(threads) - 1)


def default_upload_slots(threads: int) -> int:
    return max(1, (threads - kdf_budget(threads)) // 2)


@dataclass(frozen=True)
class PortalConfig:
    secure_cookies: bool = True
    onion_location: str | None = None
    # The portal's public address (https://…/), printed on organizations' posters.
    public_url: str | None = None
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    kdf_slots: int = 1
    # Logins that may wait for a slot (5 s at most) when all are busy.
    kdf_waiting: int = 1
    # The worker's thread count when known (`adal portal` passes ADAL_PORTAL_THREADS). Slots and
    # line each hold a thread; together they may take at most half, the rest serve the pages.
    threads: int | None = None
    # Requests receiving files at once, and how many may wait for one (UPLOAD_WAIT seconds at
    # most); past that, their files are refused and the form comes back filled in (503).
    upload_slots: int = 2
    upload_waiting: int = 2
    # After the grace period a body must have arrived at this average rate at least (bytes per
    # second; 0: no minimum), or it is refused and the form comes back (issue 12, item 3). A
    # slow Tor circuit moves tens of KiB/s; a sender trickling bytes to hold an upload slot
    # must now spend this much bandwidth per slot.
    min_upload_rate: int = DEFAULT_MIN_UPLOAD_RATE
    upload_grace_seconds: float = DEFAULT_UPLOAD_GRACE

    def __post_init__(self) -> None:
        if self.threads is not None and self.kdf_slots + self.kdf_waiting > kdf_budget(
            self.threads
        ):
            raise ConfigError(
                f"ADAL_KDF_SLOTS + ADAL_KDF_WAITING ({self.kdf_slots} + {self.kdf_waiting}) "
                f"may take at most {kdf_budget(self.threads)} of the {self.threads} threads, "
                "so that the other pages keep the rest: lower them or raise --threads"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PortalConfig:
        env = os.environ if env is None else env
        onion = env.get("ADAL_ONION_LOCATION", "").strip() or None
        if onion and not (onion.startswith("http://") and ".onion" in onion):
            raise ConfigError("ADAL_ONION_LOCATION must be an http://….onion address")
        public = env.get("ADAL_PUBLIC_URL", "").strip() or None
        if public and not _PUBLIC_URL.fullmatch(public):
            raise ConfigError(
                "ADAL_PUBLIC_URL must be the portal's address, such as https://adal.example.kz/"
            )
        threads = _int(env, "ADAL_PORTAL_THREADS", 0, 1) or None
        cores = os.cpu_count() or 1
        if threads is None:
            slots = _int(env, "ADAL_KDF_SLOTS", cores, 1)
            default_waiting = 1
            uploads = _int(env, "ADAL_UPLOAD_SLOTS", 2, 1)
            uploads_waiting = _int(env, "ADAL_UPLOAD_WAITING", 2, 0)
        else:
            # A core per slot at most, and a quarter of the threads: Argon2 is CPU-bound, and
            # half the KDF budget is left to the line.
            slots = _int(env, "ADAL_KDF_SLOTS", max(1, min(cores, threads // 4)), 1)
            default_waiting = max(0, kdf_budget(threads) - slots)
            budget = upload_budget(threads)
            uploads = _int(env, "ADAL_UPLOAD_SLOTS", min(budget, default_upload_slots(threads)), 1)
            uploads_waiting = _int(env, "ADAL_UPLOAD_WAITING", max(0, budget - uploads), 0)
            explicit = any(
                env.get(name, "").strip() for name in ("ADAL_UPLOAD_SLOTS", "ADAL_UPLOAD_WAITING")
            )
            if explicit and uploads + uploads_waiting > budget:
                raise ConfigError(
                    f"ADAL_UPLOAD_SLOTS + ADAL_UPLOAD_WAITING ({uploads} + {uploads_waiting}) "
                    f"may take at most {budget} of the {threads} threads, so that the other "
                    "pages keep one besides KDF work: lower them or raise --threads"
                )
        return cls(
            # Only the plain-HTTP loopback demo turns Secure off; anything else keeps it.
            secure_cookies=env.get("ADAL_INSECURE_COOKIES", "") != "1",
            onion_location=onion,
            public_url=public,
            max_upload_bytes=_int(env, "ADAL_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD, 1024),
            kdf_slots=slots,
            kdf_waiting=_int(env, "ADAL_KDF_WAITING", default_waiting, 0),
            threads=threads,
            upload_slots=uploads,
            upload_waiting=uploads_waiting,
            min_upload_rate=_int(env, "ADAL_MIN_UPLOAD_RATE", DEFAULT_MIN_UPLOAD_RATE, 0),
            upload_grace_seconds=float(
                _int(env, "ADAL_UPLOAD_GRACE_SECONDS", int(DEFAULT_UPLOAD_GRACE), 1)
            ),
        )
