"""The streamed POST of a form with files: limits, CSRF before files, polite refusal.

A body over the limit raises uploads.UploadRefused carrying the text fields that came before
the files, so the views can give the form back filled in rather than lose what was typed.

Used by the report form and the mailbox follow-up form. Both views are exempt from
CSRFProtect's hook, because that hook reads `request.form`, which would make Werkzeug parse (and
spool to disk) the body before the view runs. The token is checked here instead, as soon as its
field has arrived: files are accepted only after a valid token, and forms put the token first.

The files are sealed as they stream in (cases.attachments). `receive_form` owns them: leaving
its `with` block shreds every one of them, on a refusal, an error or any early return, unless
the view has stored what they belong to and called `keep()`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from types import TracebackType
from typing import IO

from flask import g, request
from flask_wtf.csrf import validate_csrf
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from werkzeug.wsgi import get_input_stream
from wtforms.validators import ValidationError

from cases.attachments import MAX_FILES, SealingSink, StoredFile, StreamedFiles
from portal import uploads
from portal.extensions import portal_config, upload_line
from portal.slow_senders import WATCHDOG
from web import connection
from web.extensions import sessions

CSRF_FIELD = "csrf_token"
FILE_FIELD = "files"
# After refusing a body, read (and drop) up to this much more of it before the connection
# closes, so the browser receives our page rather than a connection reset.
DRAIN_BYTES = 256 * 1024 * 1024
DRAIN_SECONDS = 60.0
# How long a request whose files begin may wait for an upload slot (in the line's few places).
UPLOAD_WAIT = 15.0


@dataclass
class FileIntake:
    """The file parts of one request (see portal.uploads.parse), and what becomes of them.

    A context manager: on leaving it, the files are shredded unless `keep()` was called.
    """

    files: StreamedFiles
    accepting: bool = False  # set once the form's CSRF token has been checked
    _kept: bool = field(default=False, init=False)

    @property
    def stored(self) -> list[StoredFile]:
        return self.files.stored

    def on_file(self, name: str, filename: str, content_type: str) -> SealingSink | None:
        if name != FILE_FIELD or not filename:
            return None  # an empty file input sends a part with no name: nothing to keep
        if not self.accepting:
            # receive_form refuses such a part before it gets here; this only makes sure
            # that no file is ever kept without a checked token.
            return None
        if self.files.started >= MAX_FILES:
            raise uploads.TooManyFiles("more files than one sending takes")
        return self.files.begin(filename, content_type)

    def keep(self) -> None:
        """What the files belong to is stored: they are no longer this request's to shred."""
        self._kept = True

    def __enter__(self) -> FileIntake:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._kept:
                self.files.shred()
        finally:
            self.files.close()


@dataclass
class Received:
    fields: MultiDict[str, str]
    intake: FileIntake
    csrf_ok: bool

    @property
    def stored(self) -> list[StoredFile]:
        return self.intake.stored

    def keep(self) -> None:
        self.intake.keep()


def _stream() -> IO[bytes]:
    stream: IO[bytes] | None = g.get("adal_upload_stream")
    if stream is None:
        # No Werkzeug limit here: the parser counts bytes against the portal's own limit.
        stream = get_input_stream(request.environ, safe_fallback=True, max_content_length=None)
        g.adal_upload_stream = stream
    return stream


def token_valid() -> bool:
    """Whether the (small) form just posted carries a valid CSRF token."""
    try:
        validate_csrf(request.form.get(CSRF_FIELD, ""))
    except ValidationError:
        return False
    return True


# Who the files are sealed to, given the fields that came before the first file (a report's
# destination is chosen in the form, above its files).
RecipientsFor = Callable[[MultiDict[str, str]], Sequence[bytes]]


@contextmanager
def receive_form(
    recipients: Sequence[bytes] | RecipientsFor, today: date, *, files_allowed: bool = True
) -> Iterator[Received]:
    """Parse the body; the files are shredded on leaving, unless the view calls `keep()`.

    `recipients` may be a function of the fields sent before the first file, called once when
    that file begins (after the token is checked): the files are sealed as they arrive, so
    their recipients must be known by then.

    A refused body (uploads.UploadRefused) raises before the block is entered, its files
    already shredded.
    """
    limit = portal_config().max_upload_bytes
    declared = request.content_length
    stream = _stream()
    too_large = declared is not None and declared > limit
    resolve = None if isinstance(recipients, Sequence) else recipients
    files = StreamedFiles(sessions(), () if resolve is not None else recipients, today)
    intake = FileIntake(files)
    before_files: MultiDict[str, str] = MultiDict()
    line = upload_line()
    holding = ExitStack()
    has_slot = False

    def on_file(name: str, filename: str, content_type: str) -> uploads.FileSink | None:
        nonlocal has_slot
        if too_large:
            # Refused unread; the text fields before the first file are what the form needs.
            raise uploads.UploadTooLarge("declared length exceeds the limit")
        if filename and not intake.accepting:
            # A file before a valid token (or for a closed mailbox) is never kept: refused
            # now rather than read on without an upload slot.
            raise uploads.FilesNotAccepted("a file part the form does not take")
        if filename and not has_slot:
            # From the first file on, the body holds an upload slot until it is read.
            holding.enter_context(line.slot(wait=UPLOAD_WAIT))
            has_slot = True
        if resolve is not None and filename and name == FILE_FIELD and not files.recipients:
            files.recipients = resolve(before_files)
        return intake.on_file(name, filename, content_type)

    def on_field(name: str, value: str) -> None:
        if resolve is not None and not files.recipients:
            before_files.add(name, value)
        if name != CSRF_FIELD or not files_allowed:
            return
        try:
            validate_csrf(value)
        except ValidationError:
            return
        intake.accepting = True

    with intake:
        try:
            config = portal_config()
            stop = connection.read_stopper() if config.min_upload_rate else None
            form = uploads.parse(
                stream,
                request.content_type,
                limit,
                on_file,
                on_field,
                uploads.MinimumRate(config.min_upload_rate, config.upload_grace_seconds),
                watch=lambda body: WATCHDOG.watching(body, stop),
            )
            if too_large:
                refused = uploads.UploadTooLarge("declared length exceeds the limit")
                refused.fields = form.fields
                raise refused
        finally:
            holding.close()
        yield Received(form.fields, intake, intake.accepting)


def drain_after(response: Response) -> Response:
    """Read what is left of a refused body once the response is sent (a lingering close, so
    the browser shows our page rather than a reset), for DRAIN_SECONDS and DRAIN_BYTES at most.

    Draining is receiving a body too: it takes a free upload slot, or does not happen (the
    connection just closes), so refused bodies cannot hold the threads the upload line keeps.
    """
    stream: IO[bytes] | None = g.get("adal_upload_stream")
    if stream is None:
        stream = _stream()
    line = upload_line()

    def drain() -> None:
        deadline = time.monotonic() + DRAIN_SECONDS
        left = DRAIN_BYTES
        try:
            with line.slot():
                while left > 0 and time.monotonic() < deadline:
                    # A sender that trickles or stalls must not hold the thread past the end.
                    connection.shorten_reads(deadline - time.monotonic())
                    data = stream.read(min(left, uploads.READ_SIZE))
                    if not data:
                        break
                    left -= len(data)
        except Exception:  # noqa: S110 - no slot, or the client went away: nothing to wait for
            pass

    # Now, before the headers go out, so they say "Connection: close": whatever is left of the
    # body after the drain is not worth keeping the connection alive for.
    connection.close_after_response()
    response.call_on_close(drain)
    return response
