"""book names triggers: the database moves the names counter on every name change

``book_version`` ('names') was moved by kam's ORM flushes only, so a rename written
any other way (SQLAlchemy Core, a bulk import, ``psql``) left the in-memory name
indexes (``handlers.book_names``) of every process stale.  Triggers on ``account``
(insert, delete, a change of name) and ``account_alias`` (any change) now move it in
the same transaction, whoever writes: PostgreSQL once per statement, SQLite once per
row (it has no statement triggers).  A later SQLite migration that rebuilds one of
the two tables (Alembic's batch mode copies it) must create its triggers again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 15:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUMP = "UPDATE book_version SET n = n + 1 WHERE name = 'names'"

SQLITE_TRIGGERS = {
    "book_names_account_insert": "AFTER INSERT ON account",
    "book_names_account_rename": "AFTER UPDATE OF name ON account WHEN OLD.name IS NOT NEW.name",
    "book_names_account_delete": "AFTER DELETE ON account",
    "book_names_alias_insert": "AFTER INSERT ON account_alias",
    "book_names_alias_update": "AFTER UPDATE ON account_alias",
    "book_names_alias_delete": "AFTER DELETE ON account_alias",
}
PG_TRIGGERS = {
    "book_names_account": "AFTER INSERT OR DELETE OR UPDATE OF name OR TRUNCATE ON account",
    "book_names_alias": "AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON account_alias",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION book_names_changed() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for name, when in PG_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT "
                "EXECUTE FUNCTION book_names_changed()"
            )
        return
    for name, when in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN {BUMP}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, when in PG_TRIGGERS.items():
            table = when.rsplit(" ON ", 1)[1]
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS book_names_changed()")
        return
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
