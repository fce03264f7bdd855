"""A case received on a Friday morning and the standard details of its workflow steps, shared by
the rules tests that walk a case through its steps."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from rules.workflow import Step

RECEIVED = datetime(2026, 3, 20, 5, 0, tzinfo=UTC)  # Friday 10:00 in Kazakhstan

DETAILS: Mapping[Step, Mapping[str, str]] = {
    Step.KNS_NOTIFIED: {"call_time": "2026-03-20T10:20", "operator": "Operator 7"},
    Step.CONFIRMATION_SENT: {"outgoing_number": "01-15/42", "outgoing_date": "2026-03-20"},
    Step.NDA_SIGNED: {"signed_at": "2026-03-20T16:00+05:00"},
}
