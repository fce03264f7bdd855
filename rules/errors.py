"""The one error a use case raises when it refuses a request.

A refusal is data, not prose: `area` names the use case that refused and `code` is stable
within it, so each app keeps a single table that turns (area, code) into its own translated
text (handler/messages.py) and tests assert on codes, never on wording. Codes may be shared
between areas ("exists" means a different thing to the calendar and to the staff list), which
is why the area travels with the code. The English `message` is for logs, the command line and
anyone reading a traceback.

Plain Python, like the rest of rules/: cases/ and documents/ both raise it, and neither may
pull Flask or SQLAlchemy in through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


class AdalError(Exception):
    """A refused request.

    `code` may name the fields at fault after a colon, several joined by "|"
    ("missing_detail:call_time|operator"), so a message can point at them. `params` carries
    anything else a message needs (the workflow's missing steps), read-only.
    """

    def __init__(self, area: str, code: str, message: str, **params: object) -> None:
        super().__init__(f"{code}: {message}")
        self.area = area
        self.code = code
        self.message = message
        self.params: Mapping[str, object] = MappingProxyType(params)
