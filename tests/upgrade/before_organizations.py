"""Run by tests/upgrade/test_before_organizations.py with the code of main *before*
organizations on PYTHONPATH (commit 2bc6abb, extracted by the test): that code, not this
repository's, creates an instance with reports, cases, protection records and audit entries,
the way its own tests did. Prints what it made as JSON on the last line.

Not a test module (no test_ prefix): it must not import anything of the current tree, and it
does not, because the old tree comes first on the path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.support.backoffice import Browser, handler_app, sign_in, store_portal_report
from tests.support.instance import init_in_process, open_demo

IDENTITY = {"full_name": "Серікбаев Ерлан", "position": "бухгалтер", "unit": "қаржы бөлімі"}


def main() -> None:
    path = Path(os.environ["ADAL_INSTANCE"])
    url = os.environ["ADAL_DATABASE_URL"]
    output = init_in_process(path, url)
    demo = open_demo(path, url, output)
    creds = demo.credentials()
    made: dict[str, object] = {"init_output": output}
    # One case the head opened and protects (the reporter gave their identity), one the
    # handler opened, one nobody has opened yet.
    protected = store_portal_report(
        demo, facts="Бастық пара сұрады: қорғалатын іс.", identity=IDENTITY
    )
    handled = store_portal_report(demo, facts="The deputy took a kickback: handled case.")
    unopened = store_portal_report(demo, facts="Закупка у родственника: не открыто.")
    with handler_app({"TESTING": True}) as app:
        head = sign_in(
            Browser(app),
            demo,
            creds["head"]["username"],
            creds["head"]["password"],
            creds["head"]["totp secret"],
        )
        assert head.get(f"/cases/{protected.submission_id}").status_code == 200
        base = f"/cases/{protected.submission_id}/protection"
        response = head.post(base, {"full_name": "Серікбаев Е.", "position": "бухгалтер"})
        assert response.status_code == 303, response.status_code
        handler = sign_in(
            Browser(app),
            demo,
            creds["handler"]["username"],
            creds["handler"]["password"],
            creds["handler"]["totp secret"],
        )
        assert handler.get(f"/cases/{handled.submission_id}").status_code == 200
    demo.engine.dispose()
    made["cases"] = {
        "protected": protected.submission_id,
        "handled": handled.submission_id,
        "unopened": unopened.submission_id,
    }
    print(json.dumps(made))


if __name__ == "__main__":
    main()
