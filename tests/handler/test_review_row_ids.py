"""Security review of issues 11 and 12: a row id no database can hold (an <int:...> in the
address beyond 64 bits) is a 404 like any missing row, never a 500 from the database driver."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.backoffice import Browser, recorded_scan
from tests.support.instance import DemoInstance

HUGE = str(2**70)


@pytest.mark.parametrize(
    "path",
    [
        "/cases/{sid}/disclosure/{huge}/scan",
    ],
)
def test_a_row_id_beyond_64_bits_is_not_found(
    demo: DemoInstance, as_role: Callable[[str], Browser], path: str
) -> None:
    head = as_role("head")
    sid, _record = recorded_scan(demo, head)
    assert head.get(path.format(sid=sid, huge=HUGE)).status_code == 404
    assert head.post(f"/cases/{sid}/protection", {"full_name": "Жанар Әбенова"}).status_code in (
        200,
        303,
    )
    for post in (
        f"/cases/{sid}/protection/matters/{HUGE}",
        f"/head-keys/{HUGE}/approve",
        f"/cases/{sid}/grants/{HUGE}/revoke",
    ):
        assert head.post(post, {}).status_code == 404, post
    admin = as_role("admin")
    assert admin.get(f"/admin/users/{HUGE}").status_code == 404
    assert admin.post(f"/admin/users/{HUGE}/unlock", {}).status_code == 404
