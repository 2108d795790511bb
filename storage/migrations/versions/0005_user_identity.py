"""user identities: user_identity (user_id, platform, external_id) replaces
kam_user.slack_id and kam_user.wecom_id

A user's chat identities move into one table, one row per user and platform, so a new
platform is a new ``platform`` value rather than a new column.  Existing ids are
copied (``slack`` and ``wecom``), then the columns are dropped (SQLite: batch mode).
The downgrade copies them back; identities of any other platform are lost.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = {"slack": ("slack_id", 32), "wecom": ("wecom_id", 64)}


def _keep_handle_index() -> None:
    """SQLite's batch mode rebuilds kam_user without the expression index of 0003 (it
    cannot reflect one): make it again.  PostgreSQL keeps it; IF NOT EXISTS says so."""
    op.execute("CREATE INDEX IF NOT EXISTS ix_kam_user_handle_lower ON kam_user (lower(handle))")


def upgrade() -> None:
    op.create_table(
        "user_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["kam_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "platform", "external_id", name="uq_user_identity_platform_external_id"
        ),
        sa.UniqueConstraint("user_id", "platform", name="uq_user_identity_user_id_platform"),
    )
    for platform, (column, _length) in _COLUMNS.items():
        op.execute(
            "INSERT INTO user_identity (user_id, platform, external_id) "
            f"SELECT id, '{platform}', {column} FROM kam_user "
            f"WHERE {column} IS NOT NULL AND {column} <> '' ORDER BY id"
        )
    with op.batch_alter_table("kam_user", schema=None) as batch_op:
        for column, _length in _COLUMNS.values():
            batch_op.drop_column(column)
    _keep_handle_index()


def downgrade() -> None:
    with op.batch_alter_table("kam_user", schema=None) as batch_op:
        for column, length in _COLUMNS.values():
            batch_op.add_column(sa.Column(column, sa.String(length=length), nullable=True))
            batch_op.create_unique_constraint(f"uq_kam_user_{column}", [column])
    _keep_handle_index()
    for platform, (column, _length) in _COLUMNS.items():
        op.execute(
            f"UPDATE kam_user SET {column} = (SELECT external_id FROM user_identity "
            f"WHERE user_identity.user_id = kam_user.id AND platform = '{platform}')"
        )
    op.drop_table("user_identity")
