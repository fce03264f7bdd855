"""Uploads stay in memory: Werkzeug would spool any file over 500 KB to a temporary file.

A call recording or a scanned letter is as sensitive as the report it belongs to; its
plaintext must not touch the disk on its way to the stream encryptor. MAX_CONTENT_LENGTH
bounds what one request may hold in memory.
"""

from __future__ import annotations

import io
from typing import IO

from web.requests import NamedPartsRequest


class MemoryUploadRequest(NamedPartsRequest):
    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return io.BytesIO()
