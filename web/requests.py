"""The request class both apps build on: form parts without a readable name are dropped.

Werkzeug files a multipart part whose name it cannot parse (a line break inside it) under the key
None. Flask-WTF's CSRF check and the forms expect text keys and fail on it with an exception,
which would be a 500 for a request no browser sends. Dropping the part answers it like any other
malformed form: with the form's own refusal.
"""

from __future__ import annotations

from flask import Request


class NamedPartsRequest(Request):
    def _load_form_data(self) -> None:
        super()._load_form_data()
        parsed = self.__dict__
        for name in ("form", "files"):
            data = parsed.get(name)
            if data is not None and None in data:
                parsed[name] = self.parameter_storage_class(
                    [(k, v) for k, v in data.items(multi=True) if isinstance(k, str)]
                )
