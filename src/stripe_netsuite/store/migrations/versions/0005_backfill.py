"""backfill: no schema change.

A backfill keeps its place in one row of ``cursors`` (``stripe.backfill:<account>``: the
window, the types, the types done and the last id queued) and queues through the inbox
and jobs tables, so it needs no table of its own. The revision stays in the chain.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
