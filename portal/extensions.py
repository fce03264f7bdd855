"""The portal's own shared objects (web.extensions explains the pattern)."""

from __future__ import annotations

from portal.config import PortalConfig
from portal.kdf_queue import KdfQueue
from portal.work_line import WorkLine
from web.extensions import Extension

portal_config: Extension[PortalConfig] = Extension("adal.portal")
kdf_queue: Extension[KdfQueue] = Extension("adal.kdf_queue")
upload_line: Extension[WorkLine] = Extension("adal.upload_line")
