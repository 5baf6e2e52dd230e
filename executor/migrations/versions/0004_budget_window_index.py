"""An index for budget windows: the requests of some actions created since a time, read from the index alone.

Every decision on an action with a limit reads the ids of the window's
requests (``Store.window``); without this index that read scanned the whole
table, rows, parameters and all.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_COLUMNS = ["action", "created_at", "state", "requester", "id"]


def upgrade() -> None:
    op.create_index("ix_steward_requests_window", "steward_requests", _COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_steward_requests_window", table_name="steward_requests")
