"""scheduler heartbeat: scheduler_beat and job_run

A scheduler that stopped used to be noticed only when someone missed a reminder.  Each
scheduler process now moves its row in ``scheduler_beat`` every interval; ``/healthz``
and ``kam doctor`` report a scheduler that has not beaten for two intervals, and the
``watchdog`` job tells the admins when beats resume after a gap.  ``job_run`` keeps
each job's last run and last successful run for ``kam jobs status``.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.types import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduler_beat",
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("gap_from", UTCDateTime(timezone=True), nullable=True),
        sa.Column("resumed_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("worker"),
    )
    op.create_index("ix_scheduler_beat_beat_at", "scheduler_beat", ["beat_at"])
    op.create_table(
        "job_run",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("last_run_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_ok_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("job"),
    )


def downgrade() -> None:
    op.drop_table("job_run")
    op.drop_index("ix_scheduler_beat_beat_at", table_name="scheduler_beat")
    op.drop_table("scheduler_beat")
