"""netsuite origin: which NetSuite record each Stripe object mirrors, and who made it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "origins",
        sa.Column("account", sa.String(255), nullable=False),
        sa.Column("record_type", sa.String(64), nullable=False),
        sa.Column("internal_id", sa.String(64), nullable=False),
        sa.Column("stripe_id", sa.String(255), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("own_stamp", sa.String(32), nullable=True),
        sa.Column("state_hash", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account", "record_type", "internal_id", name="pk_origins"),
    )
    op.create_index("ix_origins_account_stripe_id", "origins", ["account", "stripe_id"])


def downgrade() -> None:
    op.drop_index("ix_origins_account_stripe_id", table_name="origins")
    op.drop_table("origins")
