"""`adal portal` refuses a KDF setting that would leave the pages without threads, before it
starts gunicorn, and says which settings to change."""

from __future__ import annotations

import os

import pytest

from tests.support.instance import DemoInstance, run_cli


@pytest.fixture(autouse=True)
def no_exec(monkeypatch: pytest.MonkeyPatch) -> None:
    """Were the check to pass, `adal portal` would replace this test process with gunicorn."""

    def refuse(*_args: object) -> None:
        raise AssertionError("adal portal went on to start gunicorn")

    monkeypatch.setattr(os, "execve", refuse)


def test_portal_refuses_kdf_work_taking_most_threads(
    demo: DemoInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADAL_KDF_SLOTS", "3")
    monkeypatch.setenv("ADAL_KDF_WAITING", "2")
    code, output = run_cli("portal", "--threads", "4", "--port", "1")
    assert code != 0
    assert "ADAL_KDF_SLOTS + ADAL_KDF_WAITING" in output and "raise --threads" in output
    assert "Traceback" not in output


def test_portal_refuses_a_malformed_setting(
    demo: DemoInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADAL_KDF_WAITING", "many")
    code, output = run_cli("portal", "--port", "1")
    assert code != 0
    assert "ADAL_KDF_WAITING must be a whole number" in output
