"""The signed-in user's private key, held only in the encrypted server-side session.

The password unwraps the key once, at sign-in; from then on the key lives inside the session
row, sealed under a key that only the browser's cookie carries (web/sessions.py). It is never
written anywhere else, and it is gone when the session ends (logout, idle timeout, a credential
change). Admins and auditors have no key at all.
"""

from __future__ import annotations

from flask import g, session

from crypto import keys as ckeys
from crypto.keys import PrivateKey

_SESSION_KEY = "sk"


def store(private_key: PrivateKey | None) -> None:
    if private_key is None:
        session.pop(_SESSION_KEY, None)
    else:
        session[_SESSION_KEY] = bytes(private_key)


def private_key() -> PrivateKey | None:
    if "adal_private_key" not in g:
        raw = session.get(_SESSION_KEY)
        g.adal_private_key = PrivateKey(raw) if isinstance(raw, bytes) and len(raw) == 32 else None
    key: PrivateKey | None = g.adal_private_key
    return key


def key_id() -> str | None:
    key = private_key()
    return ckeys.key_id(key.public_key) if key is not None else None
