"""Adal's persistence: typed SQLAlchemy models, the engine, Alembic migrations, sealing into rows
(envelopes, grants, file chunks), the payload formats, who receives a grant, the audit chain,
and how long a web session's row lives.

Everything sensitive reaches this package already sealed by `crypto`; the store keeps ciphertext,
grants, public keys and the few plain facts the workflow needs (dates, never exact times, for
anything the portal writes). What is done with a case lives in `cases`; operations on a whole
installation in `installation`.
"""
