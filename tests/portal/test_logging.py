"""The error log names the failing code, never the request or the data in it."""

from __future__ import annotations

import io
import logging

from flask import Flask, request

from portal.logs import LOGGER_NAME
from tests.support.instance import DemoInstance

SECRET = "Маркер секретного текста 4242"


def test_500_logs_type_and_frames_only(app: Flask, demo: DemoInstance) -> None:
    @app.post("/boom")
    def boom() -> str:
        raise ValueError(f"bad value: {request.form['facts']}")

    app.extensions["csrf"].exempt(boom)
    app.config["TESTING"] = False  # let the error handler run instead of re-raising
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.getLogger(LOGGER_NAME).addHandler(handler)
    try:
        response = app.test_client().post(
            "/boom?q=" + SECRET,
            data={"facts": SECRET},
            headers={"X-Forwarded-For": "203.0.113.9", "User-Agent": "probe-agent"},
        )
    finally:
        logging.getLogger(LOGGER_NAME).removeHandler(handler)
    assert response.status_code == 500
    assert SECRET not in response.get_data(as_text=True)
    logged = stream.getvalue()
    assert "builtins.ValueError" in logged and "boom" in logged  # type and our frame
    for leak in (SECRET, "203.0.113.9", "probe-agent", "/boom"):
        assert leak not in logged
