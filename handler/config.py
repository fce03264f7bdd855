"""The back office's settings, read once from the environment when the app is made.

The same shape as portal.config: a frozen object built by `from_env`, so the factory reads no
environment variable itself and a test can pass settings without touching os.environ.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class HandlerConfig:
    secure_cookies: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HandlerConfig:
        env = os.environ if env is None else env
        # Only the plain-HTTP loopback demo turns Secure off; anything else keeps it.
        return cls(secure_cookies=env.get("ADAL_INSECURE_COOKIES", "") != "1")
