"""inbox: inbound_event keeps what it takes in until the answer is delivered

A message is committed here before kam acknowledges the platform, with what is needed
to run and answer it; the command marks it done in its own transaction, and the
delivered answer marks it answered.  Rows taken in before this revision were handled
in full by the old path: they are ``answered``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=10), nullable=False, server_default="answered")
        )
        batch_op.add_column(sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("payload", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("reply", sa.JSON(), nullable=True))
        batch_op.create_index("ix_inbound_event_due", ["state", "lease_until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbound_event", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_event_due")
        batch_op.drop_column("reply")
        batch_op.drop_column("payload")
        batch_op.drop_column("attempts")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("state")
