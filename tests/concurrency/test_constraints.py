"""Migration 0008: the domain's "one" as unique indexes, and what it does to a book that
already broke them (merge, rename, deactivate, delete — or stop, naming the clash)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from alembic import command
from sqlalchemy import Index, insert, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from domain.models import (
    Contact,
    Deal,
    Goal,
    Interaction,
    InteractionContact,
    Reminder,
    Team,
    User,
)
from storage.migrate import alembic_config, current_revision, head_revision, upgrade
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, book

NEW = {
    "uq_contact_account_name", "uq_deal_account_name_ci", "uq_reminder_account_text_active",
    "uq_goal_user", "uq_goal_team", "uq_goal_account", "uq_kam_user_handle_ci",
    "uq_team_name_ci",
}  # fmt: skip


def _index_names(engine) -> set[str]:
    sql = (
        "SELECT name FROM sqlite_master WHERE type = 'index'"
        if engine.dialect.name == "sqlite"
        else "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
    )
    with engine.connect() as conn:
        return set(conn.execute(text(sql)).scalars())


def test_the_models_and_the_migrations_have_the_same_unique_indexes(engine):
    modelled = {
        ix.name
        for table in SQLModel.metadata.tables.values()
        for ix in table.indexes
        if isinstance(ix, Index) and ix.unique
    }
    assert modelled >= NEW
    assert modelled <= _index_names(engine)


def test_the_database_refuses_a_second_contact_of_the_same_name(engine):
    ids = book(engine)
    with pytest.raises(IntegrityError), unit_of_work(engine) as s:
        s.add(Contact(account_id=ids["acme"], name="LI WEI"))
    with pytest.raises(IntegrityError), unit_of_work(engine) as s:
        s.add(User(handle="ALICE", display_name="Another Alice"))


def _contact_0007(s, account_id: int, name: str, **fields) -> SimpleNamespace:
    """A contact as the 0007 schema holds it: only its columns (the model has more now)."""
    row = {"account_id": account_id, "name": name, "birthday_lunar": False,
           "birthday_leap_month": False, "created_at": NOW, **fields}  # fmt: skip
    table = Contact.__table__
    new_id = s.exec(insert(table).values(**row).returning(table.c.id)).scalar_one()
    return SimpleNamespace(id=new_id)


def _back_to_0007(engine) -> None:
    command.downgrade(alembic_config(engine), "0007")
    assert not NEW & _index_names(engine)


def test_0008_puts_right_a_book_that_broke_them(engine):
    ids = book(engine)
    _back_to_0007(engine)
    with unit_of_work(engine) as s:
        # the account as 0007 knows it: its id (the model's later columns are not there yet)
        acme, alice = SimpleNamespace(id=ids["acme"]), s.get(User, ids["alice"])
        twin = _contact_0007(s, acme.id, "li wei", phone="+86 138 0000 0000",
                             email="li@acme.com", birthday_month=3, birthday_day=9)  # fmt: skip
        _contact_0007(s, acme.id, "LI WEI", phone="+86 139 1111 1111")
        seen = Interaction(account_id=acme.id, happened_at=NOW, author_id=alice.id)
        s.add(seen)
        s.flush()
        s.add(InteractionContact(interaction_id=seen.id, contact_id=twin.id))
        s.add(InteractionContact(interaction_id=seen.id, contact_id=ids["li_wei"]))
        f.deal(s, acme, "Renewal", owner=alice)
        late = f.deal(s, acme, "renewal", owner=alice)
        for _ in range(2):
            s.add(Reminder(account_id=acme.id, text="QBR", every_months=3,
                           start_date=date(2027, 1, 1), next_date=date(2027, 1, 1)))  # fmt: skip
        first = f.goal(s, year=2027, metric="won_revenue", target="10000000", user=alice)
        f.goal(s, year=2027, metric="won_revenue", target="12000000", user=alice)
        late_id, first_id = late.id, first.id
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    with unit_of_work(engine, write=False) as s:
        li = s.exec(select(Contact).where(Contact.account_id == ids["acme"],
                                          Contact.name.ilike("li wei"))).all()  # fmt: skip
        assert [
            (c.id, c.name, c.title, c.phone, c.email, c.birthday_month, c.birthday_day) for c in li
        ] == [
            (ids["li_wei"], "Li Wei", "CFO", "+86 138 0000 0000", "li@acme.com", 11, 25)
        ]  # fmt: skip  (the oldest's own fields win; its empty ones are filled)
        links = s.exec(select(InteractionContact.contact_id)).all()
        assert links == [ids["li_wei"]]
        names = sorted(s.exec(select(Deal.name).where(Deal.account_id == ids["acme"])).all())
        assert names == ["Renewal", f"renewal (#{late_id})"]
        active = s.exec(select(Reminder.id).where(Reminder.active.is_(True))).all()
        assert len(active) == 1
        goals = s.exec(select(Goal.id, Goal.target)).all()
        assert goals == [(first_id, Decimal("10000000.00"))]
    # and from now on the database says no
    with pytest.raises(IntegrityError), unit_of_work(engine) as s:
        s.add(Goal(year=2027, metric="won_revenue", scope="user", user_id=ids["alice"],
                   target=Decimal(1)))  # fmt: skip


@pytest.mark.parametrize("what", ["handle", "team"])
def test_0008_stops_on_names_that_differ_only_in_case_and_changes_nothing(engine, what):
    ids = book(engine)
    _back_to_0007(engine)
    with unit_of_work(engine) as s:
        if what == "handle":
            s.add(User(handle="Alice", display_name="Alice Two"))
        else:
            s.add(Team(name="EAST"))
        _contact_0007(s, ids["acme"], "li wei")
    with pytest.raises(RuntimeError) as err:
        upgrade(engine)
    message = str(err.value)
    assert "migration 0008 stopped, nothing changed" in message
    assert ("'alice'" in message and "'Alice'" in message) or "'EAST'" in message
    assert current_revision(engine) == "0007"
    with unit_of_work(engine, write=False) as s:  # not even the contacts were merged
        assert len(s.exec(select(Contact.id).where(Contact.name.ilike("li wei"))).all()) == 2
