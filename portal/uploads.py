"""Reading a multipart/form-data body as it arrives, without Werkzeug's form parser.

Werkzeug spools any upload bigger than 500 KB to a temporary file: plaintext on disk. Here the
body is decoded with `MultipartDecoder` (the sans-IO core of Werkzeug's parser) and every file
part goes straight to a sink the caller provides (in the portal: the stream encryptor), in
pieces of at most READ_SIZE bytes. Text fields are collected in memory under small bounds.
Memory use is flat in the size of the files.

Limits are checked while reading: the whole body (UploadTooLarge), each text field and all of
them together (FieldTooLarge), the number of parts. Anything that does not parse, is cut short
or is not UTF-8 is a MalformedUpload. None of these errors carries request data.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import IO, Protocol

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import (
    NEED_DATA,
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
)

READ_SIZE = 64 * 1024
# A long text field (portal.forms.LONG_TEXT characters) in UTF-8, four bytes each at worst.
MAX_FIELD_BYTES = 512 * 1024
MAX_FIELDS_TOTAL = 1024 * 1024
MAX_PARTS = 64
# File parts that are dropped unread (an empty file input sends one with no bytes) may carry
# this much in all; past it the body is refused, not read on for nothing.
MAX_DROPPED_BYTES = 64 * 1024
# Bounds the decoder's own buffer: a part header that never ends cannot grow without limit.
MAX_DECODER_BUFFER = 2 * READ_SIZE + 64 * 1024
# RFC 2046 allows 70 characters; some clients (Werkzeug's own test client among them) send a
# few more, so the bound is looser. It still keeps the boundary regexes cheap.
_BOUNDARY_RE = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{1,200}")


class UploadError(Exception):
    """The body cannot be used; subclasses say why."""


class UploadRefused(UploadError):
    """Too much data. `fields` holds the text fields read before that, so the form can come
    back filled in; `cut` names a field that was itself too long (its value then holds the
    first MAX_FIELD_BYTES of it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.fields: MultiDict[str, str] = MultiDict()
        self.cut: str | None = None


class UploadTooLarge(UploadRefused):
    """The body is bigger than the configured limit."""


class FieldTooLarge(UploadRefused):
    """A text field, or all of them together, exceed what a form can hold."""


class FilesNotAccepted(UploadRefused):
    """A file part the form cannot take (before a valid token, on a closed mailbox) or more
    than MAX_DROPPED_BYTES of parts it drops: refused rather than read without an upload slot."""


class TooManyFiles(UploadRefused):
    """More files than one sending takes (cases.attachments.MAX_FILES): the whole sending is
    refused, so that no file is left out without the reporter knowing."""


class UploadsBusy(UploadRefused):
    """Every upload slot is taken and the line is full (portal.work_line): files are refused,
    unread."""

    @classmethod
    def for_files(cls) -> UploadsBusy:
        return cls("every upload slot is taken")


class UploadTooSlow(UploadRefused):
    """After the grace period the body arrived slower, on average, than the portal's minimum
    rate: a sender that trickles bytes would otherwise hold an upload slot (and a thread) for
    as long as the proxy's body timeout (issue 12, item 3)."""


class MalformedUpload(UploadError):
    """Not multipart/form-data, broken framing, a truncated body or text that is not UTF-8."""


class FileSink(Protocol):
    def write(self, data: bytes) -> None: ...

    def end(self) -> None: ...


# Called at the start of each file part with (field name, file name, content type); returns a
# sink, or None to drop the part's bytes unread by anyone.
FileStart = Callable[[str, str, str], FileSink | None]
# Called after each complete text field with (name, value), e.g. to check the CSRF token
# before any file part that follows it is accepted.
FieldDone = Callable[[str, str], None]


@dataclass
class ParsedForm:
    fields: MultiDict[str, str] = field(default_factory=MultiDict)
    bytes_read: int = 0


def boundary_of(content_type: str | None) -> bytes:
    mimetype, options = parse_options_header(content_type or "")
    boundary = options.get("boundary", "")
    if mimetype != "multipart/form-data" or not _BOUNDARY_RE.fullmatch(boundary):
        raise MalformedUpload("not multipart/form-data with a valid boundary")
    return boundary.encode("ascii")


@dataclass(frozen=True)
class MinimumRate:
    """The slowest average a body may arrive at once `grace` seconds have passed; `bytes_per
    second` 0 switches the check off."""

    bytes_per_second: int = 0
    grace: float = 0.0


class _Reader:
    def __init__(self, stream: IO[bytes], limit: int, rate: MinimumRate) -> None:
        self.stream = stream
        self.limit = limit
        self.rate = rate
        self.total = 0
        self.started = time.monotonic()
        self.stopped = False

    def too_slow(self, now: float) -> bool:
        """Below the minimum average rate, the grace period over (portal.slow_senders)."""
        elapsed = now - self.started
        return (
            bool(self.rate.bytes_per_second)
            and elapsed > self.rate.grace
            and self.total < self.rate.bytes_per_second * elapsed
        )

    def cut_off(self) -> None:
        self.stopped = True

    def read(self) -> bytes:
        try:
            data = self.stream.read(READ_SIZE)
        except (ClientDisconnected, OSError) as exc:
            if self.stopped:
                raise UploadTooSlow("the body arrived slower than the minimum rate") from exc
            raise MalformedUpload("the body ended early") from exc
        self.total += len(data)
        if self.total > self.limit:
            raise UploadTooLarge("body exceeds the limit")
        if self.stopped or (data and self.too_slow(time.monotonic())):
            raise UploadTooSlow("the body arrives slower than the minimum rate")
        return data


def parse(
    stream: IO[bytes],
    content_type: str | None,
    limit: int,
    on_file: FileStart,
    on_field: FieldDone | None = None,
    rate: MinimumRate = MinimumRate(),
    watch: Callable[[_Reader], AbstractContextManager[None]] | None = None,
) -> ParsedForm:
    """Decode the whole body; file bytes go to the sinks `on_file` returns.

    On UploadRefused the exception carries the text fields read so far: forms put their text
    before their files, so a reporter whose files were too large gets the typed text back.
    """
    decoder = MultipartDecoder(boundary_of(content_type), MAX_DECODER_BUFFER, max_parts=MAX_PARTS)
    reader = _Reader(stream, limit, rate)
    with watch(reader) if watch is not None else nullcontext():
        return _parse(decoder, reader, on_file, on_field)


def _parse(
    decoder: MultipartDecoder, reader: _Reader, on_file: FileStart, on_field: FieldDone | None
) -> ParsedForm:
    form = ParsedForm()
    fields_total = 0
    dropped = 0
    in_file = False
    name: str | None = None
    text: bytearray | None = None
    sink: FileSink | None = None
    try:
        while True:
            event = decoder.next_event()
            if event is NEED_DATA:
                data = reader.read()
                decoder.receive_data(data or None)
            elif isinstance(event, File):
                name, text, in_file = None, None, True
                sink = on_file(event.name, event.filename, event.headers.get("content-type", ""))
            elif isinstance(event, Field):
                name, text, sink, in_file = event.name, bytearray(), None, False
            elif isinstance(event, Data):
                if text is not None:
                    text += event.data
                    fields_total += len(event.data)
                    if len(text) > MAX_FIELD_BYTES or fields_total > MAX_FIELDS_TOTAL:
                        raise FieldTooLarge("a text field is too long")
                elif sink is not None and event.data:
                    sink.write(event.data)
                elif in_file:
                    dropped += len(event.data)
                    if dropped > MAX_DROPPED_BYTES:
                        raise FilesNotAccepted("file parts the form does not take")
                if not event.more_data:
                    if text is not None and name is not None:
                        value = bytes(text).decode("utf-8")
                        form.fields.add(name, value)
                        if on_field is not None:
                            on_field(name, value)
                    elif sink is not None:
                        sink.end()
                    name, text, sink = None, None, None
            elif isinstance(event, Epilogue):
                break
    except UploadRefused as exc:
        exc.fields = form.fields
        if isinstance(exc, FieldTooLarge) and text is not None and name is not None:
            exc.cut = name
            form.fields.add(name, bytes(text[:MAX_FIELD_BYTES]).decode("utf-8", "ignore"))
        raise
    except UnicodeDecodeError as exc:
        raise MalformedUpload("text is not UTF-8") from exc
    except RequestEntityTooLarge as exc:
        raise MalformedUpload("too many parts or an endless part header") from exc
    except (ValueError, AttributeError, IndexError) as exc:
        # MultipartDecoder's framing errors (a missing Content-Disposition, a body cut short).
        raise MalformedUpload("multipart framing is broken") from exc
    form.bytes_read = reader.total
    return form
