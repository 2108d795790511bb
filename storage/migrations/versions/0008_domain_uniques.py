"""domain uniques: constraints where the domain says "one" (issue 15)

kam finds these by name ignoring case, and the domain has one of each; on PostgreSQL
two commands at the same moment could each make one (``storage.locks`` now makes them
take turns; these indexes are the last word):

* ``uq_contact_account_name``  one contact per name (ignoring case) at an account
* ``uq_deal_account_name_ci``  one deal per name (ignoring case) at an account
* ``uq_reminder_account_text_active``  one *active* reminder per text at an account
* ``uq_goal_user|team|account``  one goal per subject, metric and year (the existing
  unique key counts NULLs as different, so it never held: a user goal has no team)
* ``uq_kam_user_handle_ci``  one person per handle, ignoring case (it replaces 0003's
  ``ix_kam_user_handle_lower``, which served the same look-up without the rule)
* ``uq_team_name_ci``  one team per name, ignoring case

Rows already in the book that break one of them are put right where nothing is lost:

* contacts of one name at one account are **merged** into the oldest: its empty fields
  are filled from the others (oldest first), their interactions move to it, the others
  are deleted (their audit entries stay);
* a deal whose name repeats another's at the account (ignoring case) is **renamed**
  ``name (#id)`` — nothing about it changes but its name, and kam says which it is;
* a repeated active reminder is **deactivated** (the oldest stays: it was sent twice);
* a repeated goal is **deleted**, the oldest kept (the one kam showed and updated);

and where it cannot be decided for the people concerned — two people whose handles
differ only in case, two teams whose names do — the upgrade **stops**, naming them,
and changes nothing: rename one (``/user set @Dave handle dave2``) and upgrade again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 13:00:00
"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONTACT_FIELDS = ("title", "role", "phone", "email", "created_by_id")
BIRTHDAY = ("birthday_month", "birthday_day", "birthday_year", "birthday_lunar",
            "birthday_leap_month")  # fmt: skip
GOAL_SCOPES = ("user", "team", "account")
MAX_DEAL_NAME = 200


def _groups(conn, sql: str) -> list[list]:
    """Rows of ``sql`` (key columns first, id last, ordered by id) grouped by key; only
    the groups with more than one row."""
    groups: dict[tuple, list] = defaultdict(list)
    for row in conn.execute(sa.text(sql)).mappings():
        groups[tuple(v for k, v in row.items() if k != "id")].append(row["id"])
    return [ids for ids in groups.values() if len(ids) > 1]


def _refuse_clashes(conn) -> None:
    problems = []
    for table, column, what in (("kam_user", "handle", "handles"), ("team", "name", "team names")):
        clashes = _groups(conn, f"SELECT lower({column}) AS k, id FROM {table} ORDER BY id")
        for ids in clashes:
            names = conn.execute(
                sa.text(f"SELECT id, {column} FROM {table} WHERE id IN ({','.join(map(str, ids))})")
            ).all()
            problems.append(
                f"{what} that differ only in case: "
                + ", ".join(f"{value!r} (#{i})" for i, value in sorted(names))
            )
    if problems:
        raise RuntimeError(
            "migration 0008 stopped, nothing changed: "
            + "; ".join(problems)
            + ". Rename one of each (/user set @OLD handle NEW, or the teams file) and "
            "run `kam db upgrade` again."
        )


def _merge_contacts(conn) -> None:
    columns = ", ".join(CONTACT_FIELDS + BIRTHDAY)
    for ids in _groups(conn, "SELECT account_id, lower(name) AS k, id FROM contact ORDER BY id"):
        keep, others = ids[0], ids[1:]
        rows = {
            r["id"]: dict(r)
            for r in conn.execute(
                sa.text(
                    f"SELECT id, {columns} FROM contact WHERE id IN ({','.join(map(str, ids))})"
                )
            ).mappings()
        }
        kept = rows[keep]
        values = {}
        for other in others:
            row = rows[other]
            for name in CONTACT_FIELDS:
                if kept[name] is None and row[name] is not None and name not in values:
                    values[name] = row[name]
            no_birthday = kept["birthday_month"] is None and "birthday_month" not in values
            if no_birthday and row["birthday_month"] is not None:
                values.update({name: row[name] for name in BIRTHDAY})
        if values:
            sets = ", ".join(f"{name} = :{name}" for name in values)
            conn.execute(
                sa.text(f"UPDATE contact SET {sets} WHERE id = :id"), {**values, "id": keep}
            )
        for other in others:
            conn.execute(
                sa.text(
                    "INSERT INTO interaction_contact (interaction_id, contact_id) "
                    "SELECT interaction_id, :keep FROM interaction_contact l "
                    "WHERE l.contact_id = :other AND NOT EXISTS (SELECT 1 FROM "
                    "interaction_contact k WHERE k.contact_id = :keep "
                    "AND k.interaction_id = l.interaction_id)"
                ),
                {"keep": keep, "other": other},
            )
            conn.execute(
                sa.text("DELETE FROM interaction_contact WHERE contact_id = :other"),
                {"other": other},
            )
            conn.execute(sa.text("DELETE FROM contact WHERE id = :other"), {"other": other})


def _rename_deals(conn) -> None:
    for ids in _groups(conn, "SELECT account_id, lower(name) AS k, id FROM deal ORDER BY id"):
        for deal_id in ids[1:]:
            name = conn.execute(
                sa.text("SELECT name FROM deal WHERE id = :id"), {"id": deal_id}
            ).scalar_one()
            suffix = f" (#{deal_id})"
            conn.execute(
                sa.text("UPDATE deal SET name = :name WHERE id = :id"),
                {"name": name[: MAX_DEAL_NAME - len(suffix)] + suffix, "id": deal_id},
            )


def _deactivate_reminders(conn) -> None:
    sql = (
        "SELECT account_id, lower(text) AS k, id FROM reminder "
        f"WHERE active = {_true(conn)} ORDER BY id"
    )
    for ids in _groups(conn, sql):
        conn.execute(
            sa.text(
                f"UPDATE reminder SET active = {_false(conn)} "
                f"WHERE id IN ({','.join(map(str, ids[1:]))})"
            )
        )


def _delete_goals(conn) -> None:
    for scope in GOAL_SCOPES:
        sql = (
            f"SELECT year, metric, {scope}_id AS who, id FROM goal "
            f"WHERE scope = '{scope}' ORDER BY id"
        )
        for ids in _groups(conn, sql):
            conn.execute(sa.text(f"DELETE FROM goal WHERE id IN ({','.join(map(str, ids[1:]))})"))


def _true(conn) -> str:
    return "1" if conn.dialect.name == "sqlite" else "true"


def _false(conn) -> str:
    return "0" if conn.dialect.name == "sqlite" else "false"


def upgrade() -> None:
    conn = op.get_bind()
    _refuse_clashes(conn)
    _merge_contacts(conn)
    _rename_deals(conn)
    _deactivate_reminders(conn)
    _delete_goals(conn)
    op.create_index(
        "uq_contact_account_name", "contact", ["account_id", sa.text("lower(name)")], unique=True
    )
    op.create_index(
        "uq_deal_account_name_ci", "deal", ["account_id", sa.text("lower(name)")], unique=True
    )
    op.create_index(
        "uq_reminder_account_text_active",
        "reminder",
        ["account_id", sa.text("lower(text)")],
        unique=True,
        postgresql_where=sa.text("active"),
        sqlite_where=sa.text("active"),
    )
    for scope in GOAL_SCOPES:
        where = sa.text(f"scope = '{scope}'")
        op.create_index(
            f"uq_goal_{scope}",
            "goal",
            ["year", "metric", f"{scope}_id"],
            unique=True,
            postgresql_where=where,
            sqlite_where=where,
        )
    # the unique index serves ``lower(handle) = ?`` as 0003's plain one did: it replaces it
    op.drop_index("ix_kam_user_handle_lower", table_name="kam_user")
    op.create_index("uq_kam_user_handle_ci", "kam_user", [sa.text("lower(handle)")], unique=True)
    op.create_index("uq_team_name_ci", "team", [sa.text("lower(name)")], unique=True)


def downgrade() -> None:
    # merged contacts, renamed deals, deactivated reminders and deleted goals stay so
    for name, table in (
        ("uq_team_name_ci", "team"),
        ("uq_kam_user_handle_ci", "kam_user"),
        *((f"uq_goal_{scope}", "goal") for scope in reversed(GOAL_SCOPES)),
        ("uq_reminder_account_text_active", "reminder"),
        ("uq_deal_account_name_ci", "deal"),
        ("uq_contact_account_name", "contact"),
    ):
        op.drop_index(name, table_name=table)
    op.create_index("ix_kam_user_handle_lower", "kam_user", [sa.text("lower(handle)")])
