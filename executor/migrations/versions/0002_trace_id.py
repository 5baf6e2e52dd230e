"""Trace context on requests: the trace id shown to people and the W3C traceparent the worker resumes.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: requests made before this revision simply have no trace.
    op.add_column("steward_requests", sa.Column("trace_id", sa.String(32), nullable=True))
    op.add_column("steward_requests", sa.Column("traceparent", sa.String(55), nullable=True))


def downgrade() -> None:
    op.drop_column("steward_requests", "traceparent")
    op.drop_column("steward_requests", "trace_id")
