"""Adal's store: typed SQLAlchemy models, the engine, migrations and the instance folder.

Everything sensitive reaches this package already sealed by `crypto`; the store keeps ciphertext,
grants, public keys and the few plain facts the workflow needs (dates, never exact times, for
anything the portal writes).
"""
