"""book in chat: account teams, account region and status reason, contacts who left

Issue 17 lets the book be grown and handed over from chat:

* ``account_member`` — the supporting team of an account (协同): one row per person,
  with their role there (tech, service, legal, finance, exec_sponsor, other).  The
  one accountable owner stays ``account.owner_id``.
* ``account.region``, ``account.status_reason`` and ``account.status_changed_at`` —
  set by ``/account NAME set …``; a dormant, lost or churned account leaves the pushes.
* ``contact.left_at`` — a contact who left the company stays in history, off the
  decision chain.

Columns are added with plain ``ALTER TABLE … ADD COLUMN`` (no batch copy), so the
book-names triggers of 0011 on ``account`` stay as they are on SQLite.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.types import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("account", sa.Column("region", sa.String(length=100), nullable=True))
    op.add_column("account", sa.Column("status_reason", sa.String(length=500), nullable=True))
    op.add_column(
        "account", sa.Column("status_changed_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column("contact", sa.Column("left_at", UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "account_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["kam_user.id"]),
        sa.ForeignKeyConstraint(["added_by_id"], ["kam_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "user_id", name="uq_account_member"),
    )
    op.create_index("ix_account_member_account_id", "account_member", ["account_id"])
    op.create_index("ix_account_member_user_id", "account_member", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_account_member_user_id", table_name="account_member")
    op.drop_index("ix_account_member_account_id", table_name="account_member")
    op.drop_table("account_member")
    # SQLite drops a column in place since 3.35: no table copy, so the expression index
    # on contact and the triggers on account (0011) are kept
    op.drop_column("contact", "left_at")
    op.drop_column("account", "status_changed_at")
    op.drop_column("account", "status_reason")
    op.drop_column("account", "region")
