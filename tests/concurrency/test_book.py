"""Concurrency: the same write to an account's book from N clients at once.

Each test runs on SQLite and on PostgreSQL (``KAM_TEST_DATABASE_URL``); on PostgreSQL
the commands really run side by side (``tests.concurrency.race``).  The invariant is
what the domain says is one: one contact per name at an account, one deal per name,
one active reminder per text, one move to won.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import select

from domain.models import Account, AuditEntry, Contact, Deal, DealStageChange, Reminder, User
from handlers.replies import Severity
from storage.session import unit_of_work
from tests import factories as f
from tests.concurrency.race import race, sent, titles
from tests.csvkit import dry_run, export, run_import, state
from tests.harness import book

N = 8


def _count(engine, stmt) -> int:
    with unit_of_work(engine, write=False) as s:
        return s.exec(stmt).one()


def test_one_contact_per_name_however_many_add_it_at_once(engine):
    ids = book(engine)
    replies, _chats = race(engine, [("alice", "/contact Acme Conc Person, CFO")] * N)
    people = _count(
        engine,
        select(func.count(Contact.id)).where(
            Contact.account_id == ids["acme"], func.lower(Contact.name) == "conc person"
        ),
    )
    assert people == 1
    # the first adds her; everyone after finds her as they asked for her: unchanged
    assert titles(replies) == sorted(
        ["Added Conc Person to Acme"] + ["Conc Person at Acme — nothing to change"] * (N - 1)
    )
    assert all(r.severity is not Severity.error for r in replies)
    created = _count(
        engine,
        select(func.count(AuditEntry.id)).where(
            AuditEntry.entity == "contact", AuditEntry.action == "create"
        ),
    )
    assert created == 1


def test_the_contacts_export_of_a_raced_book_imports_again(engine):
    book(engine)
    race(engine, [("alice", "/contact Acme Conc Person, CFO")] * N)
    text = export(engine, "contacts")
    plan = dry_run(engine, "contacts", text)  # refuses a file that names someone twice
    assert {row.action for row in plan.rows} == {"unchanged"}
    before = state(engine)
    assert run_import(engine, "contacts", text).updated == 0
    assert state(engine, skip=("audit_entry",)) == {
        k: v for k, v in before.items() if k != "audit_entry"
    }


def test_one_contact_whatever_the_case_it_is_typed_in(engine):
    ids = book(engine)
    typed = ["Conc Person", "conc person", "CONC PERSON", "Conc person"] * (N // 4)
    race(engine, [("alice", f"/contact Acme {name}, CFO") for name in typed])
    people = _count(
        engine,
        select(func.count(Contact.id)).where(
            Contact.account_id == ids["acme"], func.lower(Contact.name) == "conc person"
        ),
    )
    assert people == 1


def test_one_new_deal_per_name(engine):
    ids = book(engine)
    typed = ['new "Pilot Line"', 'new "pilot line"'] * (N // 2)
    replies, _chats = race(engine, [("alice", f"/deal Acme {t} 100k") for t in typed])
    deals = _count(
        engine,
        select(func.count(Deal.id)).where(
            Deal.account_id == ids["acme"], func.lower(Deal.name) == "pilot line"
        ),
    )
    assert deals == 1
    made = [r for r in replies if r.severity is Severity.success]
    assert len(made) == 1
    # the others are told the deal exists (not "send it again")
    refused = [r for r in replies if r.severity is Severity.error]
    assert len(refused) == N - 1
    assert all("already" in " ".join([r.title, *r.lines]) for r in refused), refused[0]


def test_a_deal_is_won_once(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        acme = s.get(Account, ids["acme"])
        alice = s.get(User, ids["alice"])
        deal = f.deal(s, acme, "Renewal 2027", owner=alice, stage="proposal")
        deal_id = deal.id
    replies, chats = race(engine, [("alice", '/deal Acme "Renewal 2027" won')] * N)
    wins = _count(
        engine,
        select(func.count(DealStageChange.id)).where(
            DealStageChange.deal_id == deal_id, DealStageChange.to_stage == "won"
        ),
    )
    assert wins == 1
    assert sum(r.title.startswith("Won ") for r in replies) == 1
    # one "won" message for the people told, not one per client
    told = sent(chats)
    assert len(told) == len(set(told))


def test_one_active_reminder_per_text(engine):
    ids = book(engine)
    replies, _chats = race(engine, [("alice", "/remind Acme renewal check monthly")] * N)
    active = _count(
        engine,
        select(func.count(Reminder.id)).where(
            Reminder.account_id == ids["acme"], Reminder.active.is_(True)
        ),
    )
    assert active == 1
    assert sum(r.severity is Severity.success for r in replies) == 1


def test_a_snooze_is_ended_once(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        acme = s.get(Account, ids["acme"])
        acme.snoozed_until, acme.snooze_reason = date(2026, 12, 31), "champion on leave"
        s.add(acme)
    replies, chats = race(engine, [("carol", "/snooze Acme off")] * N)
    ended = _count(
        engine,
        select(func.count(AuditEntry.id)).where(AuditEntry.summary == "snooze ended"),
    )
    assert ended == 1
    assert sum(r.severity is Severity.success for r in replies) == 1
    assert [key for key, _title in sent(chats)] == ["user:alice"]  # told once
