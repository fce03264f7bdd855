"""handler.messages.describe: the words each refusal had in its view before the one table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask_babel import Babel

from handler.messages import describe
from rules.errors import AdalError
from rules.workflow import Step


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    app = Flask(__name__)
    Babel(app)  # no catalogue: the English source text
    with app.app_context():
        yield


@pytest.mark.parametrize(
    ("area", "code", "params", "text"),
    [
        (
            "workflow",
            "out_of_order",
            {"missing": (Step.KNS_NOTIFIED,)},
            "This step cannot be recorded yet: earlier steps are missing. "
            "Missing: Anti-Corruption Service notified via 1424 (p8)",
        ),
        (
            "workflow",
            "missing_detail:call_time|operator",
            {},
            "A required detail of this step is missing. "
            "(Time of the 1424 call / Name of the operator who took the call)",
        ),
        ("workflow", "no_such_code", {}, "There is no such step."),
        ("protection", "order:meeting_on", {}, "The dates contradict each other. (Meeting date)"),
        ("protection", "unknown_field:colour", {}, "The change was refused. (colour)"),
        ("protection", "exists", {}, "This case already has a protection record."),
        ("calendar", "exists", {}, "This date already has an entry. Remove it first to change it."),
        ("staff", "exists", {}, "That username is taken."),
        ("staff", "too_short", {}, "This cannot be used."),
        (
            "staff",
            "inactive_org",
            {},
            "Your organization is deactivated: it takes no new users.",
        ),
        (
            "identity",
            "no_consent",
            {},
            "The reporter's details cannot be included: the identity or "
            "the written consent is missing.",
        ),
    ],
)
def test_each_area_keeps_its_words(
    area: str, code: str, params: dict[str, object], text: str
) -> None:
    assert describe(AdalError(area, code, "English for the log", **params)) == text
