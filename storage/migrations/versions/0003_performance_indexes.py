"""performance indexes: case-insensitive name lookups, an account's goals

Every chat command finds its actor with ``lower(handle) = ?`` and splits the account
name off the message with ``lower(account.name) IN (…)`` (and the same on aliases);
without an index on the expression each of those read the whole table — 10 ms on
SQLite and 30 ms on PostgreSQL at 50,000 accounts, most of an ``/account`` answer.
``/account`` also reads the account's goals for the year, which only had an index on
the year.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 11:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXPRESSION_INDEXES = (
    ("ix_account_name_lower", "account", "lower(name)"),
    ("ix_account_alias_alias_lower", "account_alias", "lower(alias)"),
    ("ix_kam_user_handle_lower", "kam_user", "lower(handle)"),
)


def upgrade() -> None:
    for name, table, expression in EXPRESSION_INDEXES:
        op.create_index(name, table, [sa.text(expression)], unique=False)
    op.create_index("ix_goal_account_year", "goal", ["account_id", "year"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_goal_account_year", table_name="goal")
    for name, table, _expression in reversed(EXPRESSION_INDEXES):
        op.drop_index(name, table_name=table)
