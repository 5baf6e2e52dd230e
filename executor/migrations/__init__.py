"""Alembic migrations of Steward's database (requests, kill switches, API keys, the audit log).

``executor.store.migrate`` runs them: ``steward db upgrade`` on an existing
database, and automatically only on a brand-new empty one. Each revision
file under ``versions/`` is frozen once released; a schema change is a new
revision, never an edit of an old one.
"""
