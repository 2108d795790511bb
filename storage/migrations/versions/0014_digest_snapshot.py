"""digest snapshot: what each team's risk digest said, per day

The daily digest leads with what changed since the team's last one (new risks, risks
cleared, accounts that moved tier).  ``digest_snapshot`` keeps, per team and day, the
risk codes, tiers and money at risk of the accounts the digest found risks on — only
those, so a row stays the size of what needs attention, not of the book.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 19:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.types import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("marks", sa.JSON(), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "day", name="uq_digest_snapshot_team_day"),
    )
    op.create_index("ix_digest_snapshot_team_id", "digest_snapshot", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_digest_snapshot_team_id", table_name="digest_snapshot")
    op.drop_table("digest_snapshot")
