"""Baseline: the schema of the first release (requests, kill switches, API keys, audit log).

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from audit import install_schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "steward_requests",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(64), nullable=True),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("requester", sa.String(200), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("params", sa.JSON, nullable=True),
        sa.Column("params_hash", sa.String(64), nullable=True),
        sa.Column("context", sa.JSON, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("action_class", sa.String(32), nullable=True),
        sa.Column("decision", sa.JSON, nullable=True),
        sa.Column("confirmation", sa.JSON, nullable=True),
        sa.Column("approval", sa.JSON, nullable=True),
        sa.Column("outcome", sa.JSON, nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error_message", sa.Text, nullable=True),
        sa.Column("catalog_version", sa.String(64), nullable=True),
        sa.Column("policy_version", sa.String(64), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=True),
        sa.Column("queued_at", sa.Float, nullable=True),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("lease_expires_at", sa.Float, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("commit_started_at", sa.Float, nullable=True),
        sa.Column("commit_done_at", sa.Float, nullable=True),
        sa.UniqueConstraint("requester", "idempotency_key", name="uq_steward_requests_idempotency"),
    )
    op.create_index("ix_steward_requests_state_queued", "steward_requests", ["state", "queued_at"])
    op.create_table(
        "steward_kill_switches",
        sa.Column("scope", sa.String(200), primary_key=True),
        sa.Column("operator", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("engaged_at", sa.Float, nullable=False),
    )
    op.create_table(
        "steward_api_keys",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("revoked_at", sa.Float, nullable=True),
    )
    # The audit package owns its tables and append-only triggers; its install is idempotent.
    install_schema(op.get_bind())


def downgrade() -> None:
    raise RuntimeError("the baseline cannot be downgraded: the audit log is append-only")
