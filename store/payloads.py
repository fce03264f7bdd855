"""What is inside the envelopes: the plaintext formats both apps read and write.

Every payload is UTF-8 JSON with a "format" key naming its kind and version, so a reader can
refuse what it does not know rather than guess. The exact UTC time of an event lives here,
inside the envelope, never in a plain column.

report (purpose "report", to store.recipients.report_recipients), format "adal/report/v1":
    received_at        exact UTC time of receipt, ISO 8601 with "Z"
    channel            "portal" or another p5 channel
    language           interface language the reporter used ("kk", "ru", "en")
    facts, persons, subject           Appendix 1: short description (facts, persons, subject)
    position, unit     position and unit of the person concerned
    when, where        when and where it happened, as the reporter describes it
    identity_provided  the reporter filled in the identity block (its envelope exists)
    consent            the reporter ticked the Appendix 2 consent box
    nda_intended       the reporter intends to sign a non-disclosure agreement (p7)
    false_report_acknowledged  the reporter confirmed the Appendix 3 obligation
    attachment_count   files sent with the report (their names are inside the files)
    sent_from_org      only in a report sent to the superior body (p4): the organization whose
                       page the reporter used, {"slug", "name_kk", "name_ru", "name_en"}; sealed
                       here alone, never a plain column (p7, p14)

identity (purpose "identity", to heads + recovery only, p14), format "adal/identity/v1":
    received_at, full_name, position, unit, consent (bool), consent_text (the sentence shown)

message (purpose "message"), format "adal/message/v1":
    sent_at            exact UTC time
    text               the message
    attachments        [{"filename": str, "size": int}] for the files sent with it

file (purpose "file", a stream): u32 big-endian length ‖ JSON meta ‖ the file's bytes, where
    meta = {"format": "adal/file/v1", "filename": str, "content_type": str}

Mailbox.status values the reporter is shown (the back office sets them): see MAILBOX_STATUSES.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

REPORT_FORMAT = "adal/report/v1"
IDENTITY_FORMAT = "adal/identity/v1"
MESSAGE_FORMAT = "adal/message/v1"
FILE_FORMAT = "adal/file/v1"
NOTE_FORMAT = "adal/note/v1"

# received: stored, nobody has opened it yet; in_review: a handler registered and is handling
# it; forwarded: reported to the Anti-Corruption Service (p8-p9); decided: the authorised
# body's decision was received (Appendix 3 right 4); closed: work on the case has ended.
MAILBOX_STATUSES = ("received", "in_review", "forwarded", "decided", "closed")

_META_LENGTH = struct.Struct(">I")
MAX_META_SIZE = 4096
MAX_FILENAME = 255
MAX_CONTENT_TYPE = 127


class PayloadError(ValueError):
    """A payload that is not one of ours (wrong format, not JSON, damaged meta header)."""


def utc_timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no place in a payload")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode(fmt: str, fields: dict[str, Any]) -> bytes:
    return json.dumps(
        {"format": fmt, **fields}, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    ).encode("utf-8")


def decode(data: bytes, fmt: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadError("payload is not UTF-8 JSON") from exc
    if not isinstance(value, dict) or value.get("format") != fmt:
        raise PayloadError(f"payload is not {fmt}")
    return value


def message_text(data: bytes) -> str:
    """The text of a message payload; plain UTF-8 bodies are accepted as the text itself."""
    try:
        return str(decode(data, MESSAGE_FORMAT).get("text", ""))
    except PayloadError:
        return data.decode("utf-8", errors="replace")


# --- files -----------------------------------------------------------------------------------


def clean_filename(name: str) -> str:
    """The last path component, without control characters, at most MAX_FILENAME characters.

    Browsers on some systems send a full path; nobody needs it, and it may name the reporter.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:MAX_FILENAME] or "file"


def file_meta_header(filename: str, content_type: str) -> bytes:
    content_type = "".join(ch for ch in content_type if ch.isprintable())[:MAX_CONTENT_TYPE]
    meta = encode(
        FILE_FORMAT,
        {
            "filename": clean_filename(filename),
            "content_type": content_type or "application/octet-stream",
        },
    )
    return _META_LENGTH.pack(len(meta)) + meta


@dataclass(frozen=True)
class FileMeta:
    filename: str
    content_type: str


def split_file(chunks: Iterable[bytes]) -> tuple[FileMeta, Iterator[bytes]]:
    """Read the meta header off a decrypted file stream; the iterator yields the file's bytes."""
    it = iter(chunks)
    buffer = b""
    need = _META_LENGTH.size
    while len(buffer) < need:
        try:
            buffer += next(it)
        except StopIteration:
            raise PayloadError("file is shorter than its meta header") from None
        if len(buffer) >= _META_LENGTH.size:
            (size,) = _META_LENGTH.unpack(buffer[: _META_LENGTH.size])
            if size > MAX_META_SIZE:
                raise PayloadError("file meta header is too long")
            need = _META_LENGTH.size + size
    meta = decode(buffer[_META_LENGTH.size : need], FILE_FORMAT)
    rest = buffer[need:]

    def body() -> Iterator[bytes]:
        if rest:
            yield rest
        yield from it

    return FileMeta(
        str(meta.get("filename", "file")), str(meta.get("content_type", "application/octet-stream"))
    ), body()
