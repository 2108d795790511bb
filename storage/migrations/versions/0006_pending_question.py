"""pending questions: pending_question (who was asked what, the choices, answered once)

When kam is unsure between readings it asks (``handlers.clarify.Choose``) and keeps the
question here with a short expiry.  The answer claims the row (``answered_at IS NULL``)
in the same transaction that runs the chosen message, so it runs exactly once.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.types import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("question", sa.String(length=1000), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["kam_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_pending_question_asker",
        "pending_question",
        ["user_id", "platform", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_pending_question_asker", table_name="pending_question")
    op.drop_table("pending_question")
