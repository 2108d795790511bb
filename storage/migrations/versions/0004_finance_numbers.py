"""finance numbers: invoice.number, payment.number, payment.invoice_id

An invoice or payment imported from the finance system (用友, 金蝶) is known by that
system's document number, so re-importing a month updates rows instead of adding them.
Rows already in the book get ``KAM-000123`` (``domain.models.kam_number`` of their id),
the number new chat rows get when they are inserted.  ``payment.invoice_id`` is the
invoice a receipt names (核销).

The columns stay nullable in the database: a chat row is inserted first and numbered
by the UPDATE that follows in the same flush.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _kam_number(dialect: str) -> str:
    """SQL for ``kam_number(id)``: 'KAM-' and the id, zero-padded to six digits."""
    if dialect == "sqlite":
        return "printf('KAM-%06d', id)"
    # lpad cuts longer text, so ids past six digits are written as they are
    return "'KAM-' || CASE WHEN id < 1000000 THEN lpad(id::text, 6, '0') ELSE id::text END"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.String(length=64), nullable=True))
    op.execute(f"UPDATE invoice SET number = {_kam_number(dialect)} WHERE number IS NULL")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_invoice_number", ["number"])

    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("invoice_id", sa.Integer(), nullable=True))
    op.execute(f"UPDATE payment SET number = {_kam_number(dialect)} WHERE number IS NULL")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_payment_number", ["number"])
        batch_op.create_foreign_key(
            "fk_payment_invoice_id_invoice", "invoice", ["invoice_id"], ["id"]
        )
        batch_op.create_index("ix_payment_invoice_id", ["invoice_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_invoice_id")
        batch_op.drop_constraint("fk_payment_invoice_id_invoice", type_="foreignkey")
        batch_op.drop_constraint("uq_payment_number", type_="unique")
        batch_op.drop_column("invoice_id")
        batch_op.drop_column("number")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_constraint("uq_invoice_number", type_="unique")
        batch_op.drop_column("number")
