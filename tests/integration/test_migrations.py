from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from domain.models import Account, Invoice, Payment, User
from storage.engine import make_engine
from storage.migrate import (
    alembic_config,
    current_revision,
    ensure_schema,
    head_revision,
    upgrade,
)

EXPECTED_TABLES = {
    "account", "account_alias", "audit_entry", "contact", "deal", "deal_stage_change",
    "delivery", "goal", "inbound_event", "interaction", "interaction_contact", "kam_user",
    "platform_token", "reminder", "task", "team", "team_manager", "user_identity",
    "pending_question", "book_version",
}  # fmt: skip


def test_migrations_build_the_schema_on_an_empty_database(empty_database_url):
    engine = make_engine(empty_database_url)
    try:
        assert current_revision(engine) is None
        assert ensure_schema(engine) is True
        assert current_revision(engine) == head_revision(engine)
        assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES
        assert ensure_schema(engine) is False  # already at head: nothing to do
    finally:
        engine.dispose()


def test_delivery_key_is_unique_and_not_null(engine):
    cols = {c["name"]: c for c in inspect(engine).get_columns("delivery")}
    for key in ("job", "recipient", "subject", "period"):
        assert cols[key]["nullable"] is False
    uniques = inspect(engine).get_unique_constraints("delivery")
    assert any(set(u["column_names"]) == {"job", "recipient", "subject", "period"} for u in uniques)


def test_migration_0004_numbers_the_invoices_and_payments_already_in_the_book(
    empty_database_url,
):
    def invoice_row(row_id, account_id):
        return {"id": row_id, "account_id": account_id, "amount": Decimal("300000"),
                "currency": "CNY", "paid_amount": Decimal("100000"), "issued_on": date(2026, 10, 1),
                "due_on": date(2026, 10, 31), "settled_on": None, "note": "Q4", "created_at": now}  # fmt: skip

    now = datetime(2026, 11, 18, tzinfo=UTC)
    engine = make_engine(empty_database_url)
    inv, pay = Invoice.__table__, Payment.__table__
    try:
        upgrade(engine, "0003")
        with engine.begin() as conn:
            conn.execute(insert(User.__table__).values(
                id=1, handle="alice", display_name="Alice", role="rep", timezone="Asia/Shanghai",
                language="en", active=True, created_at=now))  # fmt: skip
            account = {c.name: c.default.arg for c in Account.__table__.c if c.default is not None}
            conn.execute(insert(Account.__table__).values(
                {**account, "id": 1, "name": "Acme", "owner_id": 1, "status": "active",
                 "tier": "A", "score": 0, "score_current": 0, "score_potential": 0,
                 "score_strategic": 0, "score_relationship": 0, "created_at": now,
                 "updated_at": now}))  # fmt: skip
            conn.execute(insert(inv).values(invoice_row(1, 1)))
            conn.execute(insert(inv).values(invoice_row(1234567, 1)))
            conn.execute(insert(pay).values(
                id=7, account_id=1, amount=Decimal("100000"), currency="CNY",
                received_on=date(2026, 10, 20), unapplied=Decimal("0"), note="", created_at=now))  # fmt: skip
        upgrade(engine)
        with engine.begin() as conn:
            rows = conn.execute(select(inv.c.id, inv.c.number, inv.c.amount, inv.c.paid_amount)
                                .order_by(inv.c.id)).all()  # fmt: skip
            assert [tuple(r) for r in rows] == [
                (1, "KAM-000001", Decimal("300000.00"), Decimal("100000.00")),
                (1234567, "KAM-1234567", Decimal("300000.00"), Decimal("100000.00")),
            ]
            assert conn.execute(select(pay.c.number, pay.c.invoice_id)).all() == [
                ("KAM-000007", None)
            ]
        uniques = {
            u["name"]: u["column_names"] for u in inspect(engine).get_unique_constraints("invoice")
        }
        assert uniques["uq_invoice_number"] == ["number"]
        fks = inspect(engine).get_foreign_keys("payment")
        assert any(fk["constrained_columns"] == ["invoice_id"] and fk["referred_table"] == "invoice"
                   for fk in fks)  # fmt: skip
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert(inv).values({**invoice_row(2, 1), "number": "KAM-000001"}))
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert(pay).values(
                id=8, account_id=1, amount=Decimal("1"), currency="CNY", number="P-1",
                invoice_id=999, received_on=date(2026, 10, 20), unapplied=Decimal("0"), note="",
                created_at=now))  # fmt: skip

        command.downgrade(alembic_config(engine), "0003")
        assert "number" not in {c["name"] for c in inspect(engine).get_columns("invoice")}
        assert "invoice_id" not in {c["name"] for c in inspect(engine).get_columns("payment")}
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM invoice")).scalar() == 2
            assert conn.execute(text("SELECT count(*) FROM payment")).scalar() == 1
        upgrade(engine)
        with engine.begin() as conn:
            assert conn.execute(select(inv.c.number).order_by(inv.c.id)).scalars().all() == [
                "KAM-000001", "KAM-1234567",
            ]  # fmt: skip
    finally:
        engine.dispose()


def test_migration_0005_moves_chat_ids_into_user_identity_and_back(empty_database_url):
    engine = make_engine(empty_database_url)
    people = [  # id, handle, slack_id, wecom_id
        (1, "alice", "U0ALICE", None), (2, "bob", "U0BOB", "bob"),
        (3, "wang", None, "wanglei"), (4, "eve", None, None),
    ]  # fmt: skip
    try:
        upgrade(engine, "0004")
        with engine.begin() as conn:
            for user_id, handle, slack, wecom in people:
                conn.execute(
                    text(
                        "INSERT INTO kam_user (id, handle, display_name, slack_id, wecom_id, "
                        "role, timezone, language, active, created_at) VALUES (:id, :handle, "
                        ":handle, :slack, :wecom, 'rep', 'Asia/Shanghai', 'en', :active, :now)"
                    ),
                    {"id": user_id, "handle": handle, "slack": slack, "wecom": wecom,
                     "active": True, "now": datetime(2026, 11, 18, tzinfo=UTC)},
                )  # fmt: skip
        upgrade(engine)
        columns = {c["name"] for c in inspect(engine).get_columns("kam_user")}
        assert not columns & {"slack_id", "wecom_id"}
        with engine.begin() as conn:
            rows = conn.execute(text(
                "SELECT user_id, platform, external_id FROM user_identity "
                "ORDER BY user_id, platform")).all()  # fmt: skip
            assert [tuple(r) for r in rows] == [
                (1, "slack", "U0ALICE"), (2, "slack", "U0BOB"), (2, "wecom", "bob"),
                (3, "wecom", "wanglei"),
            ]  # fmt: skip
            assert conn.execute(text("SELECT count(*) FROM kam_user")).scalar() == 4
        insert_identity = text(
            "INSERT INTO user_identity (user_id, platform, external_id) VALUES (:u, :p, :e)"
        )
        with pytest.raises(IntegrityError), engine.begin() as conn:  # an id has one owner
            conn.execute(insert_identity, {"u": 4, "p": "slack", "e": "U0ALICE"})
        with pytest.raises(IntegrityError), engine.begin() as conn:  # one per platform
            conn.execute(insert_identity, {"u": 1, "p": "slack", "e": "U0OTHER"})

        command.downgrade(alembic_config(engine), "0004")
        assert "user_identity" not in inspect(engine).get_table_names()
        with engine.begin() as conn:
            rows = conn.execute(
                text("SELECT id, handle, slack_id, wecom_id FROM kam_user ORDER BY id")
            ).all()
        assert [tuple(r) for r in rows] == people
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("UPDATE kam_user SET slack_id = 'U0BOB' WHERE id = 1"))
        upgrade(engine)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM user_identity")).scalar() == 4
    finally:
        engine.dispose()
