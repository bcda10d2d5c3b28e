"""The install's own secrets: the key of the links' keyed body hashes, made here once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "install",
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("purpose", name="pk_install"),
    )
    # The same bytes `store.install.hash_key` would make on first use; made here so that
    # every process started after `migrate` finds the key in place.
    op.bulk_insert(
        table,
        [
            {
                "purpose": "body_hash",
                "secret": secrets.token_bytes(32),
                "created_at": datetime.now(UTC).replace(tzinfo=None),
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("install")
