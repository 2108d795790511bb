"""rfm cut-points: rfm_cutpoints, and the indexes one account's RFM inputs read

The whole book's RFM quintiles used to be ranked on the request path whenever money
moved (half a second at 50,000 accounts).  The ``rfm`` job now stores the quintile
cut-points here, nightly and after a CSV import, and ``/account`` scores one account
against them with two indexed aggregates: its won deals by (account, stage, closed_at)
and its payments by (account, received_on).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.types import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rfm_cutpoints",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("fx_rates", sa.JSON(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("recency", sa.JSON(), nullable=False),
        sa.Column("frequency", sa.JSON(), nullable=False),
        sa.Column("monetary", sa.JSON(), nullable=False),
        sa.Column("computed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope"),
    )
    op.create_index(
        "ix_deal_account_stage_closed", "deal", ["account_id", "stage", "closed_at"], unique=False
    )
    op.create_index(
        "ix_payment_account_received", "payment", ["account_id", "received_on"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_payment_account_received", table_name="payment")
    op.drop_index("ix_deal_account_stage_closed", table_name="deal")
    op.drop_table("rfm_cutpoints")
