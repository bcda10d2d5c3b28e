"""The vault: wrapped data keys per account and the entries sealed with them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vault_keys",
        sa.Column("account", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("master_key_id", sa.String(2048), nullable=False),
        sa.Column("master_key_version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account", name="pk_vault_keys"),
    )
    op.create_table(
        "vault_secrets",
        sa.Column("account", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account", "name", name="pk_vault_secrets"),
        sa.ForeignKeyConstraint(
            ["account"],
            ["vault_keys.account"],
            name="fk_vault_secrets_account_vault_keys",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("vault_secrets")
    op.drop_table("vault_keys")
