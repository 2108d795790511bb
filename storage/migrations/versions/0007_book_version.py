"""book version: book_version (a counter per kind of change, starting with names)

The in-memory name index (``handlers.book_names``) asks one row whether any process has
changed an account's name or alias since it was built, instead of scanning the book.
``storage.accounts`` moves the counter in the transaction that changes a name.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 12:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "book_version",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(table, [{"name": "names", "n": 0}])


def downgrade() -> None:
    op.drop_table("book_version")
