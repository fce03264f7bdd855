"""Sending a decrypted file to the browser safely.

The browser gets `application/octet-stream` and `attachment`, whatever the reporter claimed the
file was, so nothing uploaded is ever rendered in the back office's origin. The name is the
reporter's, cleaned, in RFC 6266 form: an ASCII fallback plus the exact UTF-8 name (RFC 8187).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from store.payloads import clean_filename

_FALLBACK_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _FALLBACK_UNSAFE.sub("_", decomposed).strip(" ._")


def ascii_fallback(name: str) -> str:
    """For clients without RFC 8187: Latin letters kept, the rest "_", the extension kept."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    fallback_stem = _ascii(stem)
    if not fallback_stem.replace("_", ""):
        fallback_stem = "file"  # nothing readable survived (a Kazakh or Russian name)
    fallback_ext = _ascii(ext).replace(" ", "")[:16]
    return fallback_stem[:120] + (f".{fallback_ext}" if fallback_ext else "")


def safe_name(filename: str, limit: int = 150) -> str:
    """The reporter's name without path, controls or leading dots, shortened to `limit`
    characters with its extension kept."""
    name = clean_filename(unicodedata.normalize("NFC", filename)).strip(" .") or "file"
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        keep = f".{ext}" if dot and len(ext) <= 16 else ""
        name = name[: limit - len(keep)] if not keep else stem[: limit - len(keep)] + keep
    return name


def content_disposition(filename: str) -> str:
    # Quotes, semicolons and backslashes cannot break out of the header: the exact name is
    # percent-encoded and the fallback contains none of them.
    name = safe_name(filename)
    return f"attachment; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''" + quote(
        name, safe=""
    )
