"""Adal's business rules (Section 2 and 3 of the 2026 methodological recommendations).

Plain Python: no Flask, no SQLAlchemy, so the rules can be tested alone and used by both apps.
"""
