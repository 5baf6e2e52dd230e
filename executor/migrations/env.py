"""Alembic environment: runs inside the connection and transaction ``executor.store.migrate`` opened."""

from __future__ import annotations

from alembic import context

from executor.store.migrate import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=VERSION_TABLE, transactional_ddl=True)
with context.begin_transaction():  # joins the caller's transaction, which holds the migration lock
    context.run_migrations()
