"""Policy change control: the rollout table (candidate in shadow or canary, the promoted active policy)
and, on each request, the rollout track that decided it.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "steward_policy_rollout",
        sa.Column("slot", sa.String(16), primary_key=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("percent", sa.Float, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source", sa.Text, nullable=True),
        sa.Column("operator", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
    )
    # Nullable, no default: requests made before this revision were decided by the one policy there was.
    op.add_column("steward_requests", sa.Column("policy_rollout", sa.String(16), nullable=True))


def downgrade() -> None:
    op.drop_column("steward_requests", "policy_rollout")
    op.drop_table("steward_policy_rollout")
