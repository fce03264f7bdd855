"""The back office's own shared objects (web.extensions explains the pattern)."""

from __future__ import annotations

from handler.config import HandlerConfig
from web.extensions import Extension

handler_config: Extension[HandlerConfig] = Extension("adal.handler")
