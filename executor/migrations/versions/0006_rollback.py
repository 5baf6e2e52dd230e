"""Rollback: the batches `steward rollback` makes, and which original request each compensation undoes.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "steward_rollback_batches",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("requester", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("since", sa.Float, nullable=False),
        sa.Column("until", sa.Float, nullable=False),
        sa.Column("filters", sa.JSON, nullable=False),
        sa.Column("plan_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("approved_at", sa.Float, nullable=True),
    )
    op.create_table(
        "steward_compensations",
        sa.Column("original_id", sa.String(40), primary_key=True),
        sa.Column("batch_id", sa.String(40), nullable=False),
        sa.Column("compensation_id", sa.String(40), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_steward_compensations_batch", "steward_compensations", ["batch_id"])
    op.create_index("ix_steward_compensations_compensation", "steward_compensations", ["compensation_id"])


def downgrade() -> None:
    op.drop_index("ix_steward_compensations_compensation", table_name="steward_compensations")
    op.drop_index("ix_steward_compensations_batch", table_name="steward_compensations")
    op.drop_table("steward_compensations")
    op.drop_table("steward_rollback_batches")
