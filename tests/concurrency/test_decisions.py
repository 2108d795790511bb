"""Concurrency: things done once — a task closed, a reminder cancelled, a complaint
resolved, a tier change decided, a command undone — and things there is one of: a
person's handle, a goal for a period.  N clients at once, each through its own
Dispatcher (``tests.concurrency.race``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import select

from domain.models import (
    Account,
    AuditEntry,
    Complaint,
    Contact,
    Goal,
    Reminder,
    TierProposal,
    User,
)
from handlers.replies import Severity
from schedules.jobs.tier_review import run_tier_review
from storage.session import unit_of_work
from tests import factories as f
from tests.concurrency.race import race, sent, titles
from tests.harness import NOW, Chat, book

N = 6


def _count(engine, stmt) -> int:
    with unit_of_work(engine, write=False) as s:
        return s.exec(stmt).one()


def _audited(engine, entity: str, entity_id: int, like: str) -> int:
    return _count(
        engine,
        select(func.count(AuditEntry.id)).where(
            AuditEntry.entity == entity,
            AuditEntry.entity_id == entity_id,
            AuditEntry.summary.like(like),
        ),
    )


def test_a_task_is_closed_once(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        acme, carol = s.get(Account, ids["acme"]), s.get(User, ids["carol"])
        task_id = f.task(s, acme, "send the deck", owner=carol).id
    replies, chats = race(engine, [("alice", f"/done {task_id}")] * N)
    assert _audited(engine, "task", task_id, "done:%") == 1
    assert titles(replies) == sorted(
        ["Done: #1 send the deck"] + ["Nothing to close: already done"] * (N - 1)
    )
    assert [key for key, _title in sent(chats)] == ["user:carol"]  # told once


def test_a_reminder_is_cancelled_once(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        r = Reminder(account_id=ids["acme"], text="renewal check", every_months=1,
                     start_date=date(2026, 12, 1), next_date=date(2026, 12, 1),
                     created_by_id=ids["alice"])  # fmt: skip
        s.add(r)
        s.flush()
        rid = r.id
    replies, _chats = race(engine, [("alice", f"/remind cancel {rid}")] * N)
    assert _audited(engine, "reminder", rid, "reminder cancelled%") == 1
    assert titles(replies) == sorted(
        ["Cancelled reminder #1: renewal check"] + ["Nothing to cancel"] * (N - 1)
    )


def test_a_complaint_is_resolved_once(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        c = Complaint(account_id=ids["acme"], text="late delivery", opened_at=NOW,
                      opened_by_id=ids["carol"])  # fmt: skip
        s.add(c)
        s.flush()
        cid = c.id
    replies, chats = race(
        engine, [("alice", f"/complaint resolve {cid} fix number {i}") for i in range(N)]
    )
    assert _audited(engine, "complaint", cid, "%") == 1
    assert sum(r.severity is not Severity.error for r in replies) == 1
    with unit_of_work(engine, write=False) as s:
        resolution = s.get(Complaint, cid).resolution
    winner = next(r for r in replies if r.severity is not Severity.error)
    refused = [r for r in replies if r.severity is Severity.error]
    assert all("already resolved" in " ".join(r.lines) for r in refused)
    assert resolution.startswith("fix number") and winner.title.startswith("Complaint #1")
    told = sent(chats)
    assert len(told) == len(set(told))


def test_a_tier_change_is_decided_once(engine):
    from tests.integration.test_tier_review import _review_book

    ids = _review_book(engine)
    chat = Chat(engine)
    run_tier_review(engine, chat.settings, chat.notifier, NOW, on_demand=True)
    with unit_of_work(engine, write=False) as s:
        p = s.exec(select(TierProposal).where(TierProposal.account_id == ids["acme"])).one()
        pid = p.id
    messages = [("bob", f"/review accept {pid}"), ("admin", f"/review reject {pid}")] * (N // 2)
    replies, chats = race(engine, messages)
    decisions = _count(
        engine,
        select(func.count(AuditEntry.id)).where(
            AuditEntry.entity == "tier_proposal", AuditEntry.entity_id == pid
        ),
    )
    assert decisions == 1
    with unit_of_work(engine, write=False) as s:
        status = s.get(TierProposal, pid).status
        tier = s.get(Account, ids["acme"]).tier
    assert (status, tier) in {("accepted", "B"), ("rejected", "A")}
    assert sum(r.severity is Severity.success for r in replies) == 1
    refused = [r for r in replies if r.severity is not Severity.success]
    assert all("was already" in " ".join(r.lines) for r in refused), refused[0]
    assert len(sent(chats)) == (1 if status == "accepted" else 0)


def test_one_goal_per_person_and_period(engine):
    ids = book(engine)
    targets = ["10m", "12m"] * (N // 2)
    race(engine, [("bob", f"/goal 2027 revenue {t} for @alice") for t in targets])
    goals = _count(
        engine,
        select(func.count(Goal.id)).where(
            Goal.year == 2027, Goal.scope == "user", Goal.user_id == ids["alice"]
        ),
    )
    assert goals == 1
    with unit_of_work(engine, write=False) as s:
        target = s.exec(select(Goal.target).where(Goal.user_id == ids["alice"])).one()
    assert target in (Decimal(10_000_000), Decimal(12_000_000))


def test_one_goal_per_team_and_per_account(engine):
    ids = book(engine)
    race(engine, [("bob", "/goal 2027 deals 12 for team East")] * 3
         + [("bob", "/goal 2027 visits 200 for Acme")] * 3)  # fmt: skip
    by_scope = dict(
        _count_rows(engine, select(Goal.scope, func.count(Goal.id)).group_by(Goal.scope))
    )
    assert by_scope == {"team": 1, "account": 1}
    assert ids["east"]


def _count_rows(engine, stmt) -> list[tuple]:
    with unit_of_work(engine, write=False) as s:
        return list(s.exec(stmt).all())


def test_one_person_per_handle(engine):
    book(engine)
    typed = ["@dave", "@Dave"] * (N // 2)
    replies, _chats = race(engine, [("admin", f"/user add {h} rep team East") for h in typed])
    people = _count(engine, select(func.count(User.id)).where(func.lower(User.handle) == "dave"))
    assert people == 1
    assert sum(r.severity is Severity.success for r in replies) == 1
    refused = [r for r in replies if r.severity is not Severity.success]
    assert all("already a kam user" in " ".join(r.lines) for r in refused), refused[0]


def test_undo_sent_at_once_takes_back_each_command_once(engine):
    ids = book(engine)
    chat = Chat(engine)
    for name in ("Ann One", "Ben Two", "Cat Three", "Dan Four"):
        assert chat.say("alice", f"/contact Acme {name}, CFO").severity is Severity.success
    replies, _chats = race(engine, [("alice", "/undo")] * 4)
    assert all(r.title.startswith("Undid") for r in replies), titles(replies)
    with unit_of_work(engine, write=False) as s:
        left = s.exec(select(Contact.name).where(Contact.account_id == ids["acme"])).all()
        undos = s.exec(select(AuditEntry).where(AuditEntry.action == "undo")).all()
    assert sorted(left) == ["Li Wei", "Tom Brown"]
    undone = [u.after["request_id"] for u in undos]
    assert len(undone) == 4 and len(set(undone)) == 4


def test_two_admins_removing_each_other_at_once_leave_one(engine):
    book(engine)
    with unit_of_work(engine) as s:
        f.user(s, "root", role="admin")
    replies, _chats = race(
        engine, [("admin", "/user remove @root"), ("root", "/user remove @admin")]
    )
    admins = _count(
        engine,
        select(func.count(User.id)).where(User.role == "admin", User.active.is_(True)),
    )
    assert admins == 1
    assert sum(r.severity is Severity.success for r in replies) == 1
